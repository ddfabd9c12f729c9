import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app";

export const statusRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "status",
  component: lazyRouteComponent(() => import("@/features/status/StatusPage"), "StatusPage"),
});
