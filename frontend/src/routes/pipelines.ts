import { createRoute, lazyRouteComponent, notFound } from "@tanstack/react-router";
import { authedRoute } from "./app";

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
  component: lazyRouteComponent(() => import("@/features/pipelines/PipelineWizard"), "NewPipelinePage"),
});

/** `$pipelineId` is a positive integer; anything else is not a pipeline page. */
const pipelineParams = {
  parse: ({ pipelineId }: { pipelineId: string }) => {
    const id = Number(pipelineId);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- TanStack Router's not-found protocol
    if (!/^\d+$/.test(pipelineId) || !Number.isSafeInteger(id) || id < 1) throw notFound();
    return { pipelineId: id };
  },
  stringify: ({ pipelineId }: { pipelineId: number }) => ({ pipelineId: String(pipelineId) }),
};

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
  component: lazyRouteComponent(() => import("@/features/pipelines/PipelineWizard"), "EditPipelinePage"),
});
