import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";
import { positiveIntParam } from "./params";

export const connectionsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "connections",
});

export const connectionsIndexRoute = createRoute({
  getParentRoute: () => connectionsRoute,
  path: "/",
  component: lazyRouteComponent(() => import("@/features/connections/ConnectionsPage"), "ConnectionsPage"),
});

export const newConnectionRoute = createRoute({
  getParentRoute: () => connectionsRoute,
  path: "new",
  component: lazyRouteComponent(() => import("@/features/connections/ConnectionsPage"), "NewConnectionPage"),
});

/** `$connectionId` is a positive integer; anything else is not a connection page. */
const connectionParams = positiveIntParam("connectionId");

export const editConnectionRoute = createRoute({
  getParentRoute: () => connectionsRoute,
  path: "$connectionId/edit",
  params: connectionParams,
  component: lazyRouteComponent(() => import("@/features/connections/ConnectionsPage"), "EditConnectionPage"),
});

export const connectionRoute = createRoute({
  getParentRoute: () => connectionsRoute,
  path: "$connectionId",
  params: connectionParams,
  component: lazyRouteComponent(() => import("@/features/connections/ConnectionPage"), "ConnectionPage"),
});

export const connectionSchemaRoute = createRoute({
  getParentRoute: () => connectionRoute,
  path: "/",
  component: lazyRouteComponent(() => import("@/features/connections/SchemaBrowser"), "SchemaBrowserPage"),
});

/** The SQL console brings CodeMirror: it is its own chunk, loaded when the tab is opened. */
export const connectionQueryRoute = createRoute({
  getParentRoute: () => connectionRoute,
  path: "query",
  component: lazyRouteComponent(() => import("@/features/connections/SqlConsolePage"), "SqlConsolePage"),
});
