import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app";

export const catalogRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "catalog",
  component: lazyRouteComponent(() => import("@/features/catalog/CatalogPage"), "CatalogPage"),
});
