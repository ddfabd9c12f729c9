import { queryOptions } from "@tanstack/react-query";
import { api, type Schemas } from "@/api/client";
import { idempotencyKey } from "@/api/idempotency";
import { unwrap } from "@/api/unwrap";

export type Schedule = Schemas["Schedule"];
export type CreateScheduleRequest = Schemas["CreateScheduleRequest"];
export type UpdateScheduleRequest = Schemas["UpdateScheduleRequest"];
export type SchedulePreview = Schemas["SchedulePreview"];
export type ScheduleFire = Schemas["ScheduleFire"];

export type ScheduleFilter = { target_type?: Schemas["NodeType"]; target_id?: number };

/** An organization's schedules fit in one page (the API's maximum). */
const pageSize = 500;

/** The query keys of schedules; `all` covers every list and schedule. */
export const scheduleKeys = {
  all: ["schedules"] as const,
  list: (filter: ScheduleFilter) => [...scheduleKeys.all, "list", filter] as const,
  detail: (id: number) => [...scheduleKeys.all, id] as const,
  preview: (cron: string, timezone: string) => [...scheduleKeys.all, "preview", cron, timezone] as const,
};

export function schedulesQuery(filter: ScheduleFilter = {}) {
  return queryOptions({
    queryKey: scheduleKeys.list(filter),
    queryFn: async ({ signal }) => {
      return unwrap(await api.GET("/api/v1/schedules", { signal, params: { query: { ...filter, limit: pageSize } } })).items;
    },
  });
}

export function scheduleQuery(id: number) {
  return queryOptions({
    queryKey: scheduleKeys.detail(id),
    queryFn: async ({ signal }) => {
      return unwrap(await api.GET("/api/v1/schedules/{id}", { signal, params: { path: { id } } }));
    },
  });
}

/** The description in words and the next five fires of a cron expression in a zone (nothing is saved). */
export function schedulePreviewQuery(cron: string, timezone: string) {
  return queryOptions({
    queryKey: scheduleKeys.preview(cron, timezone),
    queryFn: async ({ signal }) => {
      return unwrap(await api.POST("/api/v1/schedules/preview", { signal, body: { cron, timezone, count: 5 } }));
    },
    retry: false,
    staleTime: 30_000,
  });
}

export async function createSchedule(body: CreateScheduleRequest): Promise<Schedule> {
  return unwrap(await api.POST("/api/v1/schedules", { params: { header: { "Idempotency-Key": idempotencyKey() } }, body }));
}

export async function updateSchedule(id: number, body: UpdateScheduleRequest): Promise<Schedule> {
  return unwrap(await api.PATCH("/api/v1/schedules/{id}", { params: { path: { id } }, body }));
}

export async function deleteSchedule(id: number): Promise<void> {
  unwrap(await api.DELETE("/api/v1/schedules/{id}", { params: { path: { id } } }));
}

/** The browser's IANA zone (UTC when it has none). */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Every IANA zone the browser knows, with UTC and `current` always among them. */
export function timeZones(current: string): string[] {
  let zones: string[];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    zones = [];
  }
  const all = new Set(zones);
  all.add("UTC");
  if (current) all.add(current);
  return [...all].sort();
}

/** An instant as wall-clock time in a zone: "Mon, 9 Mar 2026, 03:00 GMT-4". */
export function formatInZone(iso: string, timeZone: string, language: string): string {
  try {
    return new Intl.DateTimeFormat(language, {
      timeZone,
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZoneName: "short",
    }).format(new Date(iso));
  } catch {
    return iso;
  }
}
