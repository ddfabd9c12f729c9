import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";

export const pipelinesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "pipelines",
  component: lazyRouteComponent(() => import("@/features/pipelines/PipelinesPage"), "PipelinesPage"),
});
