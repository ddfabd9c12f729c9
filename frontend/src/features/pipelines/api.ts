import { queryOptions } from "@tanstack/react-query";
import { api, ApiError, type Schemas } from "@/api/client";
import { idempotencyKey } from "@/features/runs/api";

export type Pipeline = Schemas["Pipeline"];
export type PipelineStatus = Schemas["PipelineStatus"];
export type CreatePipelineRequest = Schemas["CreatePipelineRequest"];
export type UpdatePipelineRequest = Schemas["UpdatePipelineRequest"];

/** An organization's pipelines fit in one page (the API's maximum). */
const pageSize = 500;

export const pipelinesQuery = queryOptions({
  queryKey: ["pipelines"],
  queryFn: async ({ signal }) => {
    const { data, error, response } = await api.GET("/api/v1/pipelines", { signal, params: { query: { limit: pageSize } } });
    if (!data) throw ApiError.from(response, error);
    return data.items;
  },
});

export function pipelineQuery(id: number) {
  return queryOptions({
    queryKey: ["pipelines", id],
    queryFn: async ({ signal }) => {
      const { data, error, response } = await api.GET("/api/v1/pipelines/{id}", { signal, params: { path: { id } } });
      if (!data) throw ApiError.from(response, error);
      return data;
    },
  });
}

export async function createPipeline(body: CreatePipelineRequest): Promise<Pipeline> {
  const { data, error, response } = await api.POST("/api/v1/pipelines", {
    params: { header: { "Idempotency-Key": idempotencyKey() } },
    body,
  });
  if (!data) throw ApiError.from(response, error);
  return data;
}

export async function updatePipeline(id: number, body: UpdatePipelineRequest): Promise<Pipeline> {
  const { data, error, response } = await api.PATCH("/api/v1/pipelines/{id}", { params: { path: { id } }, body });
  if (!data) throw ApiError.from(response, error);
  return data;
}

export async function deletePipeline(id: number): Promise<void> {
  const { error, response } = await api.DELETE("/api/v1/pipelines/{id}", { params: { path: { id } } });
  if (!response.ok) throw ApiError.from(response, error);
}

export async function triggerPipelineRun(id: number, fullRefresh = false): Promise<Schemas["Run"]> {
  const { data, error, response } = await api.POST("/api/v1/pipelines/{id}/runs", {
    params: { path: { id }, header: { "Idempotency-Key": idempotencyKey() } },
    body: { full_refresh: fullRefresh, downstream: false },
  });
  if (!data) throw ApiError.from(response, error);
  return data;
}
