import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

/** The typed client for openapi.yaml; the API is served from the same origin as the app. */
export const api = createClient<paths>({ baseUrl: "" });

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

/** A non-2xx answer, with the RFC 9457 problem document when the server sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;

  constructor(status: number, body: unknown) {
    const problem = isProblem(body) ? body : undefined;
    super(problem?.detail ?? problem?.title ?? `HTTP ${String(status)}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
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
