import { queryOptions } from "@tanstack/react-query";
import { api, ApiError, type Schemas } from "@/api/client";

export type Connection = Schemas["Connection"];
export type ConnectionType = Schemas["ConnectionType"];
export type ConnectionTestResult = Schemas["ConnectionTestResult"];
export type Catalog = Schemas["Catalog"];
export type QueryResult = Schemas["QueryResult"];
export type Config = Record<string, unknown>;

/** An organization's connections fit in one page (the API's maximum). */
const pageSize = 500;

export const connectionTypesQuery = queryOptions({
  queryKey: ["connection-types"],
  queryFn: async ({ signal }) => {
    const { data, error, response } = await api.GET("/api/v1/connection-types", { signal });
    if (!data) throw ApiError.from(response, error);
    return data.items;
  },
  staleTime: Infinity,
});

export const connectionsQuery = queryOptions({
  queryKey: ["connections"],
  queryFn: async ({ signal }) => {
    const { data, error, response } = await api.GET("/api/v1/connections", {
      signal,
      params: { query: { limit: pageSize } },
    });
    if (!data) throw ApiError.from(response, error);
    return data.items;
  },
});

export function connectionQuery(id: number) {
  return queryOptions({
    queryKey: ["connections", id],
    queryFn: async ({ signal }) => {
      const { data, error, response } = await api.GET("/api/v1/connections/{id}", { signal, params: { path: { id } } });
      if (!data) throw ApiError.from(response, error);
      return data;
    },
  });
}

export function catalogQuery(id: number) {
  return queryOptions({
    queryKey: ["connections", id, "catalog"],
    queryFn: async ({ signal }) => fetchCatalog(id, false, signal),
  });
}

export async function fetchCatalog(id: number, refresh: boolean, signal?: AbortSignal): Promise<Catalog> {
  const { data, error, response } = await api.GET("/api/v1/connections/{id}/catalog", {
    signal,
    params: { path: { id }, query: refresh ? { refresh: true } : {} },
  });
  if (!data) throw ApiError.from(response, error);
  return data;
}

/** Tests a saved connection (`id`) or an unsaved config. */
export async function testConnection(
  target: { id: number } | { type: string; config: Config },
): Promise<ConnectionTestResult> {
  if ("id" in target) {
    const { data, error, response } = await api.POST("/api/v1/connections/{id}/test", {
      params: { path: { id: target.id } },
    });
    if (!data) throw ApiError.from(response, error);
    return data;
  }
  const { data, error, response } = await api.POST("/api/v1/connections/test", { body: target });
  if (!data) throw ApiError.from(response, error);
  return data;
}

export async function runQuery(id: number, sql: string, limit: number): Promise<QueryResult> {
  const { data, error, response } = await api.POST("/api/v1/connections/{id}/query", {
    params: { path: { id } },
    body: { sql, limit },
  });
  if (!data) throw ApiError.from(response, error);
  return data;
}

/** The types of `capabilities`, as the direction a connection of that type can serve. */
export function directionOf(capabilities: ConnectionType["capabilities"]): Connection["direction"] | null {
  if (capabilities.source && capabilities.destination) return "both";
  if (capabilities.source) return "source";
  if (capabilities.destination) return "destination";
  return null;
}
