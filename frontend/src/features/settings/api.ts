import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";
import { api, type Schemas } from "@/api/client";
import { unwrap } from "@/api/unwrap";

export type Org = Schemas["Org"];
export type Member = Schemas["Member"];
export type Invitation = Schemas["Invitation"];
export type ApiKey = Schemas["ApiKey"];
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
export type ApiKeyScope = Schemas["ApiKeyScope"];
export type AuditLog = Schemas["AuditLog"];

export const apiKeyScopes = ["read", "write", "run", "admin"] as const satisfies readonly ApiKeyScope[];

/** Members, invitations and keys of one organization fit in one page (the API's maximum). */
const pageSize = 500;

/** The query keys of the organization's settings. */
export const settingsKeys = {
  org: ["org"] as const,
  members: ["members"] as const,
  invitations: ["invitations"] as const,
  apiKeys: ["api-keys"] as const,
  auditLogs: (filters: AuditFilters) => ["audit-logs", filters] as const,
};

export const orgQuery = queryOptions({
  queryKey: settingsKeys.org,
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/org", { signal }));
  },
});

export const membersQuery = queryOptions({
  queryKey: settingsKeys.members,
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/members", { signal, params: { query: { limit: pageSize } } })).items;
  },
});

export const invitationsQuery = queryOptions({
  queryKey: settingsKeys.invitations,
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/invitations", {
      signal,
      params: { query: { limit: pageSize } },
    })).items;
  },
});

export const apiKeysQuery = queryOptions({
  queryKey: settingsKeys.apiKeys,
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/api-keys", { signal, params: { query: { limit: pageSize } } })).items;
  },
});

export type AuditFilters = {
  action?: string | undefined;
  resource_type?: string | undefined;
  actor_id?: number | undefined;
  since?: string | undefined;
  until?: string | undefined;
};

export const auditPageSize = 50;

export function auditLogsQuery(filters: AuditFilters) {
  return infiniteQueryOptions({
    queryKey: settingsKeys.auditLogs(filters),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ signal, pageParam }) => {
      return unwrap(await api.GET("/api/v1/audit-logs", {
        signal,
        params: { query: { ...filters, limit: auditPageSize, cursor: pageParam } },
      }));
    },
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}
