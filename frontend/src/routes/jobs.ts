import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";

export const jobsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "jobs",
  component: lazyRouteComponent(() => import("@/features/jobs/JobsPage"), "JobsPage"),
});
