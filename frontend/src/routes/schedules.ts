import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app";

export const schedulesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "schedules",
  component: lazyRouteComponent(() => import("@/features/schedules/SchedulesPage"), "SchedulesPage"),
});
