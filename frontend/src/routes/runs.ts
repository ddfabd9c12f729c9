import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";

export const runsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "runs",
  component: lazyRouteComponent(() => import("@/features/runs/RunsPage"), "RunsPage"),
});
