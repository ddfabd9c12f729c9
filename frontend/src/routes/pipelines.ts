import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";
import { positiveIntParam } from "./params";

export const pipelinesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "pipelines",
});

export const pipelinesIndexRoute = createRoute({
  getParentRoute: () => pipelinesRoute,
  path: "/",
  component: lazyRouteComponent(() => import("@/features/pipelines/PipelinesPage"), "PipelinesPage"),
});

export const newPipelineRoute = createRoute({
  getParentRoute: () => pipelinesRoute,
  path: "new",
  component: lazyRouteComponent(() => import("@/features/pipelines/wizard/pages"), "NewPipelinePage"),
});

/** `$pipelineId` is a positive integer; anything else is not a pipeline page. */
const pipelineParams = positiveIntParam("pipelineId");

export const pipelineRoute = createRoute({
  getParentRoute: () => pipelinesRoute,
  path: "$pipelineId",
  params: pipelineParams,
  component: lazyRouteComponent(() => import("@/features/pipelines/PipelinePage"), "PipelinePage"),
});

export const editPipelineRoute = createRoute({
  getParentRoute: () => pipelinesRoute,
  path: "$pipelineId/edit",
  params: pipelineParams,
  component: lazyRouteComponent(() => import("@/features/pipelines/wizard/pages"), "EditPipelinePage"),
});
