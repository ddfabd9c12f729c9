import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";

export const transformationsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "transformations",
  component: lazyRouteComponent(() => import("@/features/transformations/TransformationsPage"), "TransformationsPage"),
});
