import { queryOptions } from "@tanstack/react-query";
import { api, type Schemas } from "@/api/client";
import { unwrap } from "@/api/unwrap";

export type Connection = Schemas["Connection"];
export type ConnectionType = Schemas["ConnectionType"];
export type ConnectionTestResult = Schemas["ConnectionTestResult"];
export type Catalog = Schemas["Catalog"];
export type QueryResult = Schemas["QueryResult"];
export type ObjectList = Schemas["ObjectList"];
export type RestPreview = Schemas["RestPreview"];
export type Config = Record<string, unknown>;

/** An organization's connections fit in one page (the API's maximum). */
const pageSize = 500;

/** The query keys of connections; `all` covers the list, every connection and their catalogs. */
export const connectionKeys = {
  types: ["connection-types"] as const,
  all: ["connections"] as const,
  detail: (id: number) => [...connectionKeys.all, id] as const,
  catalog: (id: number) => [...connectionKeys.detail(id), "catalog"] as const,
  objects: (id: number, glob: string) => [...connectionKeys.detail(id), "objects", glob] as const,
  restPreview: (id: number, resource: string, config: Config) => [...connectionKeys.detail(id), "rest-preview", resource, config] as const,
};

export const connectionTypesQuery = queryOptions({
  queryKey: connectionKeys.types,
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/connection-types", { signal })).items;
  },
  staleTime: Infinity,
});

export const connectionsQuery = queryOptions({
  queryKey: connectionKeys.all,
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/connections", {
      signal,
      params: { query: { limit: pageSize } },
    })).items;
  },
});

export function connectionQuery(id: number) {
  return queryOptions({
    queryKey: connectionKeys.detail(id),
    queryFn: async ({ signal }) => {
      return unwrap(await api.GET("/api/v1/connections/{id}", { signal, params: { path: { id } } }));
    },
  });
}

export function catalogQuery(id: number) {
  return queryOptions({
    queryKey: connectionKeys.catalog(id),
    queryFn: async ({ signal }) => fetchCatalog(id, false, signal),
  });
}

export async function fetchCatalog(id: number, refresh: boolean, signal?: AbortSignal): Promise<Catalog> {
  return unwrap(await api.GET("/api/v1/connections/{id}/catalog", {
    signal,
    params: { path: { id }, query: refresh ? { refresh: true } : {} },
  }));
}

/** How many objects a glob's listing shows. */
export const objectsShown = 50;

/** The objects of an s3 connection that `glob` picks, as a pipeline with that glob loads them. */
export function objectsQuery(id: number, glob: string) {
  return queryOptions({
    queryKey: connectionKeys.objects(id, glob),
    queryFn: async ({ signal }) =>
      unwrap(await api.GET("/api/v1/connections/{id}/objects", {
        signal,
        params: { path: { id }, query: { glob, limit: objectsShown } },
      })),
    retry: false,
    // Each listing or preview calls the source system: not again on every focus.
    staleTime: 30_000,
  });
}

/** How many rows a REST resource's preview shows. */
export const previewRows = 20;

/**
 * The first page of a REST API resource as the table a pipeline loads from it; `config` is the
 * part of the unsaved pipeline config that changes it (filters, naming).
 */
export function restPreviewQuery(id: number, resource: string, config: Config) {
  return queryOptions({
    queryKey: connectionKeys.restPreview(id, resource, config),
    queryFn: async ({ signal }) =>
      unwrap(await api.POST("/api/v1/connections/{id}/rest-preview", {
        signal,
        params: { path: { id } },
        body: { resource, config, limit: previewRows },
      })),
    retry: false,
    // Each listing or preview calls the source system: not again on every focus.
    staleTime: 30_000,
  });
}

/** Tests a saved connection (`id`) or an unsaved config. */
export async function testConnection(
  target: { id: number } | { type: string; config: Config },
): Promise<ConnectionTestResult> {
  if ("id" in target) {
    return unwrap(await api.POST("/api/v1/connections/{id}/test", {
      params: { path: { id: target.id } },
    }));
  }
  return unwrap(await api.POST("/api/v1/connections/test", { body: target }));
}

export async function runQuery(id: number, sql: string, limit: number): Promise<QueryResult> {
  return unwrap(await api.POST("/api/v1/connections/{id}/query", {
    params: { path: { id } },
    body: { sql, limit },
  }));
}

/** The types of `capabilities`, as the direction a connection of that type can serve. */
export function directionOf(capabilities: ConnectionType["capabilities"]): Connection["direction"] | null {
  if (capabilities.source && capabilities.destination) return "both";
  if (capabilities.source) return "source";
  if (capabilities.destination) return "destination";
  return null;
}
