import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";
import { positiveIntParam } from "./params";

export const transformationsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "transformations",
});

export const transformationsIndexRoute = createRoute({
  getParentRoute: () => transformationsRoute,
  path: "/",
  component: lazyRouteComponent(() => import("@/features/transformations/TransformationsPage"), "TransformationsPage"),
});

/** The editor brings CodeMirror: it is its own chunk. */
export const newTransformationRoute = createRoute({
  getParentRoute: () => transformationsRoute,
  path: "new",
  component: lazyRouteComponent(() => import("@/features/transformations/TransformationEditorPage"), "NewTransformationPage"),
});

/** `$transformationId` is a positive integer; anything else is not a model page. */
export const transformationRoute = createRoute({
  getParentRoute: () => transformationsRoute,
  path: "$transformationId",
  params: positiveIntParam("transformationId"),
  component: lazyRouteComponent(() => import("@/features/transformations/TransformationEditorPage"), "TransformationEditorPage"),
});

export const macrosRoute = createRoute({
  getParentRoute: () => transformationsRoute,
  path: "macros",
  component: lazyRouteComponent(() => import("@/features/transformations/ProjectPages"), "MacrosPage"),
});

export const seedsRoute = createRoute({
  getParentRoute: () => transformationsRoute,
  path: "seeds",
  component: lazyRouteComponent(() => import("@/features/transformations/ProjectPages"), "SeedsPage"),
});

export const sourcesRoute = createRoute({
  getParentRoute: () => transformationsRoute,
  path: "sources",
  component: lazyRouteComponent(() => import("@/features/transformations/ProjectPages"), "SourcesPage"),
});
