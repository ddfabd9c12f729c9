import { queryOptions } from "@tanstack/react-query";
import { api, ApiError, type Schemas } from "@/api/client";
import { unwrap } from "@/api/unwrap";

export type Readiness = Schemas["Readiness"];
export type Version = Schemas["Version"];

export const statusRefetchIntervalMs = 10_000;

function isReadiness(body: unknown): body is Readiness {
  return (
    typeof body === "object" &&
    body !== null &&
    "status" in body &&
    (body.status === "ready" || body.status === "not_ready") &&
    "database" in body &&
    "migrations" in body
  );
}

/** GET /readyz. A 503 carries the same Readiness document, which is the answer, not an error. */
export async function fetchReadiness(signal?: AbortSignal): Promise<Readiness> {
  const { data, error, response } = await api.GET("/readyz", { signal });
  if (data !== undefined) return data;
  if (response.status === 503 && isReadiness(error)) return error;
  throw new ApiError(response.status, error);
}

/** GET /api/v1/version. */
export async function fetchVersion(signal?: AbortSignal): Promise<Version> {
  return unwrap(await api.GET("/api/v1/version", { signal }));
}

/** The query keys of the status page. */
export const statusKeys = {
  readiness: ["readiness"] as const,
  version: ["version"] as const,
};

export const readinessQuery = queryOptions({
  queryKey: statusKeys.readiness,
  queryFn: ({ signal }) => fetchReadiness(signal),
  refetchInterval: statusRefetchIntervalMs,
});

export const versionQuery = queryOptions({
  queryKey: statusKeys.version,
  queryFn: ({ signal }) => fetchVersion(signal),
  refetchInterval: statusRefetchIntervalMs,
});
