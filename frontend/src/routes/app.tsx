import { createRoute, Outlet } from "@tanstack/react-router";
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
