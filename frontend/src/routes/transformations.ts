import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app";

export const transformationsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "transformations",
  component: lazyRouteComponent(() => import("@/features/transformations/TransformationsPage"), "TransformationsPage"),
});
