import { createRoute, lazyRouteComponent, redirect } from "@tanstack/react-router";
import { authedRoute } from "./app";

export const dashboardRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/",
  component: lazyRouteComponent(() => import("@/features/dashboard/DashboardPage"), "DashboardPage"),
});

/** /dashboard is an alias of the dashboard at /. */
export const dashboardAliasRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "dashboard",
  beforeLoad: () => {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- TanStack Router's redirect protocol
    throw redirect({ to: "/", replace: true });
  },
});
