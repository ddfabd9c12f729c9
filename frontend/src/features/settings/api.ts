import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";
import { api, type Schemas } from "@/api/client";
import { idempotencyKey } from "@/api/idempotency";
import { unwrap } from "@/api/unwrap";

export type Org = Schemas["Org"];
export type Member = Schemas["Member"];
export type Invitation = Schemas["Invitation"];
export type ApiKey = Schemas["ApiKey"];
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
export type ApiKeyScope = Schemas["ApiKeyScope"];
export type AuditLog = Schemas["AuditLog"];
export type Notification = Schemas["Notification"];
export type NotificationEvent = Schemas["NotificationEvent"];
export type NotificationChannel = Schemas["NotificationChannel"];
export type NotificationDelivery = Schemas["NotificationDelivery"];
export type CreateNotificationRequest = Schemas["CreateNotificationRequest"];
export type UpdateNotificationRequest = Schemas["UpdateNotificationRequest"];

export const notificationEvents = ["failure", "success", "recovery", "overdue"] as const satisfies readonly NotificationEvent[];
export const notificationChannels = ["webhook", "slack"] as const satisfies readonly NotificationChannel[];

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
  notifications: ["notifications"] as const,
  deliveries: (id: number) => [...settingsKeys.notifications, id, "deliveries"] as const,
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

export const notificationsQuery = queryOptions({
  queryKey: settingsKeys.notifications,
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/notifications", { signal, params: { query: { limit: pageSize } } })).items;
  },
});

/** The last delivery attempts of a channel, refreshed while any is pending or retrying. */
export function deliveriesQuery(id: number) {
  return queryOptions({
    queryKey: settingsKeys.deliveries(id),
    queryFn: async ({ signal }) => {
      return unwrap(await api.GET("/api/v1/notifications/{id}/deliveries", { signal, params: { path: { id }, query: { limit: 100 } } })).items;
    },
    refetchInterval: (query) => (query.state.data?.some((d) => d.state === "pending" || d.state === "retrying") ? 5_000 : false),
  });
}

export async function createNotification(body: CreateNotificationRequest): Promise<Notification> {
  return unwrap(await api.POST("/api/v1/notifications", { params: { header: { "Idempotency-Key": idempotencyKey() } }, body }));
}

export async function updateNotification(id: number, body: UpdateNotificationRequest): Promise<Notification> {
  return unwrap(await api.PATCH("/api/v1/notifications/{id}", { params: { path: { id } }, body }));
}

export async function deleteNotification(id: number): Promise<void> {
  unwrap(await api.DELETE("/api/v1/notifications/{id}", { params: { path: { id } } }));
}

export async function testNotification(id: number): Promise<NotificationDelivery> {
  return unwrap(await api.POST("/api/v1/notifications/{id}/test", { params: { path: { id } } }));
}

export async function redeliver(id: number, deliveryId: number): Promise<NotificationDelivery> {
  return unwrap(await api.POST("/api/v1/notifications/{id}/deliveries/{delivery_id}/redeliver", {
    params: { path: { id, delivery_id: deliveryId } },
  }));
}
