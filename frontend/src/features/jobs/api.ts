import { queryOptions } from "@tanstack/react-query";
import { api, type Schemas } from "@/api/client";
import { idempotencyKey } from "@/api/idempotency";
import { unwrap } from "@/api/unwrap";

export type Job = Schemas["Job"];
export type JobCommand = Schemas["JobCommand"];
export type CreateJobRequest = Schemas["CreateJobRequest"];
export type UpdateJobRequest = Schemas["UpdateJobRequest"];

export type JobPlanNode = Schemas["JobPlanNode"];
export type PlanJobRequest = Schemas["PlanJobRequest"];

export const jobCommands: JobCommand[] = ["build", "run", "test", "seed", "snapshot", "compile", "freshness"];

/** An organization's jobs fit in one page (the API's maximum). */
const pageSize = 500;

/** The query keys of jobs; `all` covers the list and every job. */
export const jobKeys = {
  all: ["jobs"] as const,
  detail: (id: number) => [...jobKeys.all, id] as const,
  plan: (body: PlanJobRequest) => [...jobKeys.all, "plan", body] as const,
};

export const jobsQuery = queryOptions({
  queryKey: jobKeys.all,
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/jobs", { signal, params: { query: { limit: pageSize } } })).items;
  },
});

export function jobQuery(id: number) {
  return queryOptions({
    queryKey: jobKeys.detail(id),
    queryFn: async ({ signal }) => {
      return unwrap(await api.GET("/api/v1/jobs/{id}", { signal, params: { path: { id } } }));
    },
  });
}

/** The nodes a job of this command and selector would execute, in run order (nothing is saved). */
export function jobPlanQuery(body: PlanJobRequest) {
  return queryOptions({
    queryKey: jobKeys.plan(body),
    queryFn: async ({ signal }) => {
      return unwrap(await api.POST("/api/v1/jobs/plan", { signal, body })).nodes;
    },
    retry: false,
    staleTime: 10_000,
  });
}

export async function createJob(body: CreateJobRequest): Promise<Job> {
  return unwrap(await api.POST("/api/v1/jobs", { params: { header: { "Idempotency-Key": idempotencyKey() } }, body }));
}

export async function updateJob(id: number, body: UpdateJobRequest): Promise<Job> {
  return unwrap(await api.PATCH("/api/v1/jobs/{id}", { params: { path: { id } }, body }));
}

export async function deleteJob(id: number): Promise<void> {
  unwrap(await api.DELETE("/api/v1/jobs/{id}", { params: { path: { id } } }));
}

export async function triggerJobRun(id: number, downstream = false): Promise<Schemas["Run"]> {
  return unwrap(await api.POST("/api/v1/jobs/{id}/runs", {
    params: { path: { id }, header: { "Idempotency-Key": idempotencyKey() } },
    body: { downstream },
  }));
}
