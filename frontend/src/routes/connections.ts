import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";

export const connectionsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "connections",
  component: lazyRouteComponent(() => import("@/features/connections/ConnectionsPage"), "ConnectionsPage"),
});
