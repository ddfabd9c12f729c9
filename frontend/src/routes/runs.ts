import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { runsSearchSchema } from "@/features/runs/search";
import { authedRoute } from "./app";
import { positiveIntParam } from "./params";

export const runsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "runs",
});

export const runsIndexRoute = createRoute({
  getParentRoute: () => runsRoute,
  path: "/",
  validateSearch: runsSearchSchema,
  component: lazyRouteComponent(() => import("@/features/runs/RunsPage"), "RunsPage"),
});

/** `$runId` is a positive integer; anything else is not a run page. */
export const runRoute = createRoute({
  getParentRoute: () => runsRoute,
  path: "$runId",
  params: positiveIntParam("runId"),
  component: lazyRouteComponent(() => import("@/features/runs/RunPage"), "RunPage"),
});
