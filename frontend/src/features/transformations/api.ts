import { queryOptions } from "@tanstack/react-query";
import { api, type Schemas } from "@/api/client";
import { idempotencyKey } from "@/api/idempotency";
import { unwrap } from "@/api/unwrap";

export type Transformation = Schemas["Transformation"];
export type Materialization = Schemas["Materialization"];
export type CreateTransformationRequest = Schemas["CreateTransformationRequest"];
export type UpdateTransformationRequest = Schemas["UpdateTransformationRequest"];
export type CompileResult = Schemas["CompileResult"];
export type PreviewResult = Schemas["PreviewResult"];
export type Macro = Schemas["Macro"];
export type Seed = Schemas["Seed"];
export type Source = Schemas["Source"];
export type ImportReport = Schemas["ImportReport"];
export type Run = Schemas["Run"];
export type TransformCommand = Schemas["TriggerTransformationRunRequest"]["command"];

export const materializations: Materialization[] = ["view", "table", "incremental", "ephemeral", "snapshot"];
export const transformCommands: TransformCommand[] = ["run", "test", "build"];

/** An organization's models, macros, seeds and sources fit in one page each (the API's maximum). */
const pageSize = 500;

/**
 * The query keys of the transform project. `all` covers models, macros, seeds and sources: an
 * import changes any of them.
 */
export const transformationKeys = {
  all: ["transform-project"] as const,
  models: () => [...transformationKeys.all, "models"] as const,
  detail: (id: number) => [...transformationKeys.models(), id] as const,
  macros: () => [...transformationKeys.all, "macros"] as const,
  seeds: () => [...transformationKeys.all, "seeds"] as const,
  sources: () => [...transformationKeys.all, "sources"] as const,
};

export const transformationsQuery = queryOptions({
  queryKey: transformationKeys.models(),
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/transformations", { signal, params: { query: { limit: pageSize } } })).items;
  },
});

export function transformationQuery(id: number) {
  return queryOptions({
    queryKey: transformationKeys.detail(id),
    queryFn: async ({ signal }) => {
      return unwrap(await api.GET("/api/v1/transformations/{id}", { signal, params: { path: { id } } }));
    },
  });
}

export const macrosQuery = queryOptions({
  queryKey: transformationKeys.macros(),
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/macros", { signal, params: { query: { limit: pageSize } } })).items;
  },
});

export const seedsQuery = queryOptions({
  queryKey: transformationKeys.seeds(),
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/seeds", { signal, params: { query: { limit: pageSize } } })).items;
  },
});

export const sourcesQuery = queryOptions({
  queryKey: transformationKeys.sources(),
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/sources", { signal, params: { query: { limit: pageSize } } })).items;
  },
});

export async function createTransformation(body: CreateTransformationRequest): Promise<Transformation> {
  return unwrap(await api.POST("/api/v1/transformations", {
    params: { header: { "Idempotency-Key": idempotencyKey() } },
    body,
  }));
}

export async function updateTransformation(id: number, body: UpdateTransformationRequest): Promise<Transformation> {
  return unwrap(await api.PATCH("/api/v1/transformations/{id}", { params: { path: { id } }, body }));
}

export async function deleteTransformation(id: number): Promise<void> {
  unwrap(await api.DELETE("/api/v1/transformations/{id}", { params: { path: { id } } }));
}

/** Compiles the editor's SQL (saved or not) as the model `name` in its project. */
export async function compileSql(body: Schemas["CompileTransformationRequest"]): Promise<CompileResult> {
  return unwrap(await api.POST("/api/v1/transformations/compile", { body }));
}

/** The rows of a saved model, read-only, at most `limit`. */
export async function previewTransformation(id: number, limit: number): Promise<PreviewResult> {
  return unwrap(await api.POST("/api/v1/transformations/{id}/preview", { params: { path: { id } }, body: { limit } }));
}

export async function triggerTransformationRun(
  id: number,
  body: Schemas["TriggerTransformationRunRequest"],
): Promise<Run> {
  return unwrap(await api.POST("/api/v1/transformations/{id}/runs", {
    params: { path: { id }, header: { "Idempotency-Key": idempotencyKey() } },
    body,
  }));
}

export async function createMacro(body: Schemas["CreateMacroRequest"]): Promise<Macro> {
  return unwrap(await api.POST("/api/v1/macros", { params: { header: { "Idempotency-Key": idempotencyKey() } }, body }));
}

export async function updateMacro(id: number, body: Schemas["UpdateMacroRequest"]): Promise<Macro> {
  return unwrap(await api.PATCH("/api/v1/macros/{id}", { params: { path: { id } }, body }));
}

export async function deleteMacro(id: number): Promise<void> {
  unwrap(await api.DELETE("/api/v1/macros/{id}", { params: { path: { id } } }));
}

export async function createSeed(body: Schemas["CreateSeedRequest"]): Promise<Seed> {
  return unwrap(await api.POST("/api/v1/seeds", { params: { header: { "Idempotency-Key": idempotencyKey() } }, body }));
}

export async function deleteSeed(id: number): Promise<void> {
  unwrap(await api.DELETE("/api/v1/seeds/{id}", { params: { path: { id } } }));
}

export async function createSource(body: Schemas["CreateSourceRequest"]): Promise<Source> {
  return unwrap(await api.POST("/api/v1/sources", { params: { header: { "Idempotency-Key": idempotencyKey() } }, body }));
}

export async function deleteSource(id: number): Promise<void> {
  unwrap(await api.DELETE("/api/v1/sources/{id}", { params: { path: { id } } }));
}

/** Uploads a zipped dbt project; `overwrite` replaces what exists instead of skipping it. */
/** destination: the connection whose project is meant; null for the org's Warehouse. */
export async function importProject(file: File, overwrite: boolean, destination: number | null = null): Promise<ImportReport> {
  return unwrap(await api.POST("/api/v1/transformations/import", {
    params: {
      header: { "Idempotency-Key": idempotencyKey() },
      query: { on_conflict: overwrite ? "overwrite" : "skip", ...(destination === null ? {} : { destination_connection_id: destination }) },
    },
    body: { file: "" },
    bodySerializer: () => {
      const form = new FormData();
      form.append("file", file);
      return form;
    },
  }));
}

/** The project as a zip, in the layout dbt-core reads. */
export async function exportProject(destination: number | null = null): Promise<Blob> {
  return unwrap(await api.GET("/api/v1/transformations/export", {
    parseAs: "blob",
    params: { query: destination === null ? {} : { destination_connection_id: destination } },
  }));
}
