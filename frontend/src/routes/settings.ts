import { createRoute, lazyRouteComponent, redirect } from "@tanstack/react-router";
import { auditSearchSchema } from "@/features/settings/audit-search";
import { authedRoute } from "./app";

export const settingsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "settings",
});

/** /settings opens its first page. */
export const settingsIndexRoute = createRoute({
  getParentRoute: () => settingsRoute,
  path: "/",
  beforeLoad: () => {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- TanStack Router's redirect protocol
    throw redirect({ to: "/settings/organization", replace: true });
  },
});

export const organizationRoute = createRoute({
  getParentRoute: () => settingsRoute,
  path: "organization",
  component: lazyRouteComponent(() => import("@/features/settings/OrganizationPage"), "OrganizationPage"),
});

export const membersRoute = createRoute({
  getParentRoute: () => settingsRoute,
  path: "members",
  component: lazyRouteComponent(() => import("@/features/settings/MembersPage"), "MembersPage"),
});

export const apiKeysRoute = createRoute({
  getParentRoute: () => settingsRoute,
  path: "api-keys",
  component: lazyRouteComponent(() => import("@/features/settings/ApiKeysPage"), "ApiKeysPage"),
});

export const auditLogRoute = createRoute({
  getParentRoute: () => settingsRoute,
  path: "audit-log",
  validateSearch: auditSearchSchema,
  component: lazyRouteComponent(() => import("@/features/settings/AuditLogPage"), "AuditLogPage"),
});

export const notificationsRoute = createRoute({
  getParentRoute: () => settingsRoute,
  path: "notifications",
  component: lazyRouteComponent(() => import("@/features/settings/NotificationsPage"), "NotificationsPage"),
});

export const exportImportRoute = createRoute({
  getParentRoute: () => settingsRoute,
  path: "export-import",
  component: lazyRouteComponent(() => import("@/features/settings/ExportImportPage"), "ExportImportPage"),
});
