import { createRoute, lazyRouteComponent, notFound } from "@tanstack/react-router";
import { runsSearchSchema } from "@/features/runs/search";
import { authedRoute } from "./app";

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
  params: {
    parse: ({ runId }: { runId: string }) => {
      const id = Number(runId);
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- TanStack Router's not-found protocol
      if (!/^\d+$/.test(runId) || !Number.isSafeInteger(id) || id < 1) throw notFound();
      return { runId: id };
    },
    stringify: ({ runId }: { runId: number }) => ({ runId: String(runId) }),
  },
  component: lazyRouteComponent(() => import("@/features/runs/RunPage"), "RunPage"),
});
