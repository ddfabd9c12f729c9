import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type { Schemas } from "@/api/client";
import { catalogQuery, connectionsQuery } from "@/features/connections/api";
import { pipelinesQuery } from "@/features/pipelines/api";
import { macrosQuery, seedsQuery, sourcesQuery, transformationsQuery } from "./api";
import { macroNames } from "./completion";
import type { CompletionData } from "./ModelEditor";

/** The destination a model without one builds in: the org's managed Warehouse. */
export function useDestinationId(saved: number | undefined): number | undefined {
  const connections = useQuery({ ...connectionsQuery, enabled: saved === undefined });
  return saved ?? connections.data?.find((c) => c.managed)?.id;
}

export type ProjectLists = {
  models?: Pick<Schemas["Transformation"], "name" | "destination_connection_id">[] | undefined;
  seeds?: Pick<Schemas["Seed"], "name" | "destination_connection_id">[] | undefined;
  sources?: Pick<Schemas["Source"], "name" | "connection_id" | "tables">[] | undefined;
  macros?: Pick<Schemas["Macro"], "sql_body">[] | undefined;
  pipelines?: Pick<Schemas["Pipeline"], "destination_schema" | "destination_connection_id">[] | undefined;
  catalog?: Schemas["Catalog"] | undefined;
};

/**
 * The names the editor completes for a model of `destinationId`: the project's models and seeds
 * (for `ref()`), its sources and the pipelines' schemas with the catalog's tables in them (for
 * `source()`), the org's macros, and the relations of the destination's catalog with their
 * columns, by `schema.table` and by `table`.
 */
export function completionData(destinationId: number | undefined, lists: ProjectLists): CompletionData {
  const inProject = <T extends { destination_connection_id: number }>(items: T[] | undefined) =>
    (items ?? []).filter((item) => destinationId === undefined || item.destination_connection_id === destinationId);
  const relations = new Map<string, string[]>();
  const tablesBySchema = new Map<string, string[]>();
  for (const schema of lists.catalog?.schemas ?? []) {
    tablesBySchema.set(schema.name, schema.tables.map((t) => t.name));
    for (const table of schema.tables) {
      const columns = table.columns.map((c) => c.name);
      relations.set(`${schema.name}.${table.name}`, columns);
      relations.set(table.name, columns);
    }
  }
  const sources = new Map<string, string[]>();
  for (const pipeline of inProject(lists.pipelines)) {
    sources.set(pipeline.destination_schema, tablesBySchema.get(pipeline.destination_schema) ?? []);
  }
  for (const source of lists.sources ?? []) {
    if (destinationId !== undefined && source.connection_id !== destinationId) continue;
    sources.set(source.name, source.tables.map((t) => t.name));
  }
  return {
    models: [...inProject(lists.models).map((m) => m.name), ...inProject(lists.seeds).map((s) => s.name)],
    sources,
    macros: (lists.macros ?? []).flatMap((m) => macroNames(m.sql_body)),
    relations,
  };
}

export function useCompletionData(destinationId: number | undefined): CompletionData {
  const models = useQuery(transformationsQuery).data;
  const seeds = useQuery(seedsQuery).data;
  const sources = useQuery(sourcesQuery).data;
  const macros = useQuery(macrosQuery).data;
  const pipelines = useQuery(pipelinesQuery).data;
  const catalog = useQuery({ ...catalogQuery(destinationId ?? 0), enabled: destinationId !== undefined }).data;
  return useMemo(
    () => completionData(destinationId, { models, seeds, sources, macros, pipelines, catalog }),
    [destinationId, models, seeds, sources, macros, pipelines, catalog],
  );
}
