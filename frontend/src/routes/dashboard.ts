import { createRoute, lazyRouteComponent, redirect } from "@tanstack/react-router";
import { appRoute } from "./app";

export const dashboardRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/",
  component: lazyRouteComponent(() => import("@/features/dashboard/DashboardPage"), "DashboardPage"),
});

/** /dashboard is an alias of the dashboard at /. */
export const dashboardAliasRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "dashboard",
  beforeLoad: () => {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- TanStack Router's redirect protocol
    throw redirect({ to: "/", replace: true });
  },
});
