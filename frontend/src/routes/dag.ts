import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";

export const dagRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "dag",
  component: lazyRouteComponent(() => import("@/features/dag/DagPage"), "DagPage"),
});
