import type { QueryClient } from "@tanstack/react-query";
import { createRootRouteWithContext, Outlet } from "@tanstack/react-router";
import { session } from "@/features/auth/auth";
import { AppShell } from "@/features/shell/AppShell";
import { NotFoundPage } from "@/features/shell/NotFoundPage";

export type RouterContext = { queryClient: QueryClient };

export const rootRoute = createRootRouteWithContext<RouterContext>()({
  // The first navigation recovers the session from the refresh cookie (a silent refresh).
  beforeLoad: async () => {
    await session.ensure();
  },
  component: Outlet,
  notFoundComponent: () => (
    <AppShell>
      <NotFoundPage />
    </AppShell>
  ),
});
