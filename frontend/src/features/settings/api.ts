import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";
import { api, ApiError, type Schemas } from "@/api/client";

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

export const orgQuery = queryOptions({
  queryKey: ["org"],
  queryFn: async ({ signal }) => {
    const { data, error, response } = await api.GET("/api/v1/org", { signal });
    if (!data) throw ApiError.from(response, error);
    return data;
  },
});

export const membersQuery = queryOptions({
  queryKey: ["members"],
  queryFn: async ({ signal }) => {
    const { data, error, response } = await api.GET("/api/v1/members", { signal, params: { query: { limit: pageSize } } });
    if (!data) throw ApiError.from(response, error);
    return data.items;
  },
});

export const invitationsQuery = queryOptions({
  queryKey: ["invitations"],
  queryFn: async ({ signal }) => {
    const { data, error, response } = await api.GET("/api/v1/invitations", {
      signal,
      params: { query: { limit: pageSize } },
    });
    if (!data) throw ApiError.from(response, error);
    return data.items;
  },
});

export const apiKeysQuery = queryOptions({
  queryKey: ["api-keys"],
  queryFn: async ({ signal }) => {
    const { data, error, response } = await api.GET("/api/v1/api-keys", { signal, params: { query: { limit: pageSize } } });
    if (!data) throw ApiError.from(response, error);
    return data.items;
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
    queryKey: ["audit-logs", filters],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ signal, pageParam }) => {
      const { data, error, response } = await api.GET("/api/v1/audit-logs", {
        signal,
        params: { query: { ...filters, limit: auditPageSize, cursor: pageParam } },
      });
      if (!data) throw ApiError.from(response, error);
      return data;
    },
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}
