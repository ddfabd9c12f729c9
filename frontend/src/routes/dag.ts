import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app";

export const dagRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "dag",
  component: lazyRouteComponent(() => import("@/features/dag/DagPage"), "DagPage"),
});
