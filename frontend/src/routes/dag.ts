import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { dagSearchSchema } from "@/features/dag/search";
import { authedRoute } from "./app";

export const dagRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "dag",
  validateSearch: dagSearchSchema,
  component: lazyRouteComponent(() => import("@/features/dag/DagPage"), "DagPage"),
});
