import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app";

export const pipelinesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "pipelines",
  component: lazyRouteComponent(() => import("@/features/pipelines/PipelinesPage"), "PipelinesPage"),
});
