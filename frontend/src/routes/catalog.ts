import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";

export const catalogRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "catalog",
  component: lazyRouteComponent(() => import("@/features/catalog/CatalogPage"), "CatalogPage"),
});
