import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app";

export const runsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "runs",
  component: lazyRouteComponent(() => import("@/features/runs/RunsPage"), "RunsPage"),
});
