import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app";

export const jobsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "jobs",
  component: lazyRouteComponent(() => import("@/features/jobs/JobsPage"), "JobsPage"),
});
