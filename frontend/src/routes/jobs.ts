import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";
import { positiveIntParam } from "./params";

export const jobsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "jobs",
});

export const jobsIndexRoute = createRoute({
  getParentRoute: () => jobsRoute,
  path: "/",
  component: lazyRouteComponent(() => import("@/features/jobs/JobsPage"), "JobsPage"),
});

export const newJobRoute = createRoute({
  getParentRoute: () => jobsRoute,
  path: "new",
  component: lazyRouteComponent(() => import("@/features/jobs/JobPage"), "NewJobPage"),
});

/** `$jobId` is a positive integer; anything else is not a job page. */
export const jobRoute = createRoute({
  getParentRoute: () => jobsRoute,
  path: "$jobId",
  params: positiveIntParam("jobId"),
  component: lazyRouteComponent(() => import("@/features/jobs/JobPage"), "JobPage"),
});
