import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import type { Schemas } from "@/api/client";

/**
 * The MSW server of the unit tests. It answers the endpoints any page may call with a healthy
 * installation; a test that needs another answer installs it with server.use.
 */
export const server = setupServer(
  http.get("/readyz", () =>
    HttpResponse.json<Schemas["Readiness"]>({
      status: "ready",
      database: { ok: true, latency_ms: 1 },
      migrations: { ok: true, version: 1, expected_version: 1, dirty: false },
    }),
  ),
  http.get("/api/v1/version", () =>
    HttpResponse.json<Schemas["Version"]>({ version: "0.0.0-test", commit: "test", go_version: "go" }),
  ),
);
