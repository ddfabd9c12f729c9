import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import type { Schemas } from "@/api/client";
import { testOrg, signedInAs } from "./identity";

/**
 * The MSW server of the unit tests. It answers the endpoints any page may call with a healthy
 * installation and an owner who is signed in; a test that needs another answer installs it with
 * server.use.
 */
export const server = setupServer(
  http.get("/readyz", () =>
    HttpResponse.json<Schemas["Readiness"]>({
      status: "ready",
      database: { ok: true, latency_ms: 1 },
      migrations: { ok: true, version: 1, expected_version: 1, dirty: false },
    }),
  ),
  ...signedInAs("owner"),
  http.get("/api/v1/auth/providers", () => HttpResponse.json<Schemas["AuthProviderList"]>({ providers: [] })),
  http.post("/api/v1/auth/logout", () => new HttpResponse(null, { status: 204 })),
  http.get("/api/v1/org", () =>
    HttpResponse.json<Schemas["Org"]>({
      ...testOrg,
      default_schema: "analytics",
      created_at: "2025-01-02T03:04:05Z",
      updated_at: "2025-01-02T03:04:05Z",
    }),
  ),
  http.get("/api/v1/members", () => HttpResponse.json<Schemas["MemberList"]>({ items: [], next_cursor: null })),
  http.get("/api/v1/invitations", () => HttpResponse.json<Schemas["InvitationList"]>({ items: [], next_cursor: null })),
  http.get("/api/v1/api-keys", () => HttpResponse.json<Schemas["ApiKeyList"]>({ items: [], next_cursor: null })),
  http.get("/api/v1/audit-logs", () => HttpResponse.json<Schemas["AuditLogList"]>({ items: [], next_cursor: null })),
  http.get("/api/v1/connection-types", () => HttpResponse.json<Schemas["ConnectionTypeList"]>({ items: [] })),
  http.get("/api/v1/connections", () => HttpResponse.json<Schemas["ConnectionList"]>({ items: [], next_cursor: null })),
  http.get("/api/v1/files", () => HttpResponse.json<Schemas["FileList"]>({ items: [], next_cursor: null })),
  http.get("/api/v1/pipelines", () => HttpResponse.json<Schemas["PipelineList"]>({ items: [], next_cursor: null })),
  http.get("/api/v1/transformations", () => HttpResponse.json<Schemas["TransformationList"]>({ items: [], next_cursor: null })),
  http.get("/api/v1/jobs", () => HttpResponse.json<Schemas["JobList"]>({ items: [], next_cursor: null })),
  http.get("/api/v1/schedules", () => HttpResponse.json<Schemas["ScheduleList"]>({ items: [], next_cursor: null })),
  http.get("/api/v1/notifications", () => HttpResponse.json<Schemas["NotificationList"]>({ items: [], next_cursor: null })),
  http.get("/api/v1/dag", () => HttpResponse.json<Schemas["Dag"]>({ nodes: [], edges: [] })),
  http.get("/api/v1/runs", () => HttpResponse.json<Schemas["RunList"]>({ items: [], next_cursor: null })),
  http.get("/api/v1/dashboard", () =>
    HttpResponse.json<Schemas["Dashboard"]>({
      counts: { connections: 0, pipelines: 0, transformations: 0 },
      runs_24h: { total: 0, by_status: {}, success_rate: null },
      runs_7d: { total: 0, by_status: {}, success_rate: null },
      days: [],
      failing_pipelines: [],
      failing_nodes: [],
      next_fires: [],
      overdue_schedules: [],
      active_runs: 0,
    }),
  ),
  http.get("/api/v1/version", () =>
    HttpResponse.json<Schemas["Version"]>({ version: "0.0.0-test", commit: "test", go_version: "go" }),
  ),
);
