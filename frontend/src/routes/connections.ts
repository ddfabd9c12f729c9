import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app";

export const connectionsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "connections",
  component: lazyRouteComponent(() => import("@/features/connections/ConnectionsPage"), "ConnectionsPage"),
});
