import { createRoute, Outlet, redirect } from "@tanstack/react-router";
import { session } from "@/features/auth/auth";
import { RequireSession } from "@/features/auth/RequireSession";
import { AppShell } from "@/features/shell/AppShell";
import { rootRoute } from "./root";

/** The pathless layout of every page that has the sidebar and header. */
export const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "app",
  component: () => (
    <AppShell>
      <Outlet />
    </AppShell>
  ),
});

/** Every page that needs a signed-in user; others are sent to the sign-in page and back. */
export const authedRoute = createRoute({
  getParentRoute: () => appRoute,
  id: "authed",
  beforeLoad: async ({ location }) => {
    const current = await session.ensure();
    if (!current) {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- TanStack Router's redirect protocol
      throw redirect({ to: "/sign-in", search: { redirect: location.href }, replace: true });
    }
  },
  component: () => (
    <RequireSession>
      <Outlet />
    </RequireSession>
  ),
});
