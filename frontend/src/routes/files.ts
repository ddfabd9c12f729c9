import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";

export const filesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "files",
  component: lazyRouteComponent(() => import("@/features/files/FilesPage"), "FilesPage"),
});
