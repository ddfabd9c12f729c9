import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authedRoute } from "./app";

export const schedulesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "schedules",
  component: lazyRouteComponent(() => import("@/features/schedules/SchedulesPage"), "SchedulesPage"),
});
