import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

/**
 * The typed client for openapi.yaml; the API is served from the same origin as the app. `fetch` is
 * looked up on each call, so that whatever wraps the global fetch later (test doubles) applies.
 */
export const api = createClient<paths>({
  baseUrl: "",
  fetch: (request: Request) => globalThis.fetch(request),
});

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

/** A non-2xx answer, with the RFC 9457 problem document when the server sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;
  /** Seconds to wait before trying again, from a 429's Retry-After header. */
  readonly retryAfter: number | undefined;

  constructor(status: number, body: unknown, headers?: Headers) {
    const problem = isProblem(body) ? body : undefined;
    super(problem?.detail ?? problem?.title ?? `HTTP ${String(status)}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.retryAfter = parseRetryAfter(headers?.get("Retry-After") ?? null);
  }

  /** The error of a failed openapi-fetch call. */
  static from(response: Response, body: unknown): ApiError {
    return new ApiError(response.status, body, response.headers);
  }

  /** Field-level messages by JSON path (`errors[].field`). */
  get fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const { field, message } of this.problem?.errors ?? []) out[field] ??= message;
    return out;
  }
}

/** Retry-After is either delay-seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

export function isProblem(body: unknown): body is Problem {
  return (
    typeof body === "object" &&
    body !== null &&
    "title" in body &&
    typeof body.title === "string" &&
    "status" in body &&
    typeof body.status === "number"
  );
}
