import { queryOptions } from "@tanstack/react-query";
import { api, type Schemas } from "@/api/client";
import { idempotencyKey } from "@/api/idempotency";
import { unwrap } from "@/api/unwrap";

export type Pipeline = Schemas["Pipeline"];
export type PipelineStatus = Schemas["PipelineStatus"];
export type CreatePipelineRequest = Schemas["CreatePipelineRequest"];
export type UpdatePipelineRequest = Schemas["UpdatePipelineRequest"];

/** An organization's pipelines fit in one page (the API's maximum). */
const pageSize = 500;

/** The query keys of pipelines; `all` covers the list and every pipeline. */
export const pipelineKeys = {
  all: ["pipelines"] as const,
  detail: (id: number) => [...pipelineKeys.all, id] as const,
};

export const pipelinesQuery = queryOptions({
  queryKey: pipelineKeys.all,
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/pipelines", { signal, params: { query: { limit: pageSize } } })).items;
  },
});

export function pipelineQuery(id: number) {
  return queryOptions({
    queryKey: pipelineKeys.detail(id),
    queryFn: async ({ signal }) => {
      return unwrap(await api.GET("/api/v1/pipelines/{id}", { signal, params: { path: { id } } }));
    },
  });
}

export async function createPipeline(body: CreatePipelineRequest): Promise<Pipeline> {
  return unwrap(await api.POST("/api/v1/pipelines", {
    params: { header: { "Idempotency-Key": idempotencyKey() } },
    body,
  }));
}

export async function updatePipeline(id: number, body: UpdatePipelineRequest): Promise<Pipeline> {
  return unwrap(await api.PATCH("/api/v1/pipelines/{id}", { params: { path: { id } }, body }));
}

export async function deletePipeline(id: number): Promise<void> {
  unwrap(await api.DELETE("/api/v1/pipelines/{id}", { params: { path: { id } } }));
}

export async function triggerPipelineRun(id: number, fullRefresh = false, downstream = false): Promise<Schemas["Run"]> {
  return unwrap(await api.POST("/api/v1/pipelines/{id}/runs", {
    params: { path: { id }, header: { "Idempotency-Key": idempotencyKey() } },
    body: { full_refresh: fullRefresh, downstream },
  }));
}
