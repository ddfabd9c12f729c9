import { queryOptions } from "@tanstack/react-query";
import { api, type Schemas } from "@/api/client";
import { idempotencyKey } from "@/api/idempotency";
import { unwrap } from "@/api/unwrap";

export type Dag = Schemas["Dag"];
export type DagNode = Schemas["DagNode"];
export type DagEdge = Schemas["DagEdge"];
export type DagRun = Schemas["DagRun"];
export type DagRunNode = Schemas["DagRunNode"];
export type DagRunNodeStatus = DagRunNode["status"];
export type NodeType = Schemas["NodeType"];
export type NodeRef = Schemas["NodeRef"];
export type Dependency = Schemas["Dependency"];

export const nodeTypes: NodeType[] = ["pipeline", "transformation", "job"];

/** The query keys of the DAG: the graph and each DAG run. */
export const dagKeys = {
  all: ["dag"] as const,
  graph: () => [...dagKeys.all, "graph"] as const,
  runs: () => [...dagKeys.all, "runs"] as const,
  run: (id: number) => [...dagKeys.runs(), id] as const,
};

export const dagQuery = queryOptions({
  queryKey: dagKeys.graph(),
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/dag", { signal }));
  },
  // Last runs change on their own (schedules, other people): keep the colours fresh.
  refetchInterval: 15_000,
});

/** A DAG run; polled about every second while it is running, so its nodes light up live. */
export function dagRunQuery(id: number) {
  return queryOptions({
    queryKey: dagKeys.run(id),
    queryFn: async ({ signal }) => {
      return unwrap(await api.GET("/api/v1/dag-runs/{id}", { signal, params: { path: { id } } }));
    },
    refetchInterval: (query) => {
      if (query.state.status === "error") return false;
      return query.state.data === undefined || query.state.data.status === "running" ? 1_000 : false;
    },
  });
}

/** `pipeline:12` for a node. */
export function nodeKey(ref: { type: NodeType; id: number }): string {
  return `${ref.type}:${String(ref.id)}`;
}

/** The node a key names, or undefined for a malformed key. */
export function parseNodeKey(key: string): NodeRef | undefined {
  const match = /^(pipeline|transformation|job):([1-9]\d*)$/.exec(key);
  if (!match) return undefined;
  return { type: match[1] as NodeType, id: Number(match[2]) };
}

export type CheckTimeframe = Schemas["CheckTimeframe"];

export async function createDependency(upstream: NodeRef, downstream: NodeRef, checkTimeframe?: CheckTimeframe): Promise<Dependency> {
  return unwrap(await api.POST("/api/v1/dependencies", {
    params: { header: { "Idempotency-Key": idempotencyKey() } },
    body: { upstream, downstream, ...(checkTimeframe ? { check_timeframe: checkTimeframe } : {}) },
  }));
}

export async function deleteDependency(id: number): Promise<void> {
  unwrap(await api.DELETE("/api/v1/dependencies/{id}", { params: { path: { id } } }));
}

export async function cancelDagRun(id: number): Promise<DagRun> {
  return unwrap(await api.POST("/api/v1/dag-runs/{id}/cancel", {
    params: { path: { id }, header: { "Idempotency-Key": idempotencyKey() } },
  }));
}

/** Runs a node now; with `downstream`, its descendants follow as one DAG run (the answer carries dag_run_id). */
export async function triggerNode(node: NodeRef, downstream: boolean): Promise<Schemas["Run"]> {
  const header = { "Idempotency-Key": idempotencyKey() };
  const path = { id: node.id };
  switch (node.type) {
    case "pipeline":
      return unwrap(await api.POST("/api/v1/pipelines/{id}/runs", { params: { path, header }, body: { full_refresh: false, downstream } }));
    case "transformation":
      return unwrap(await api.POST("/api/v1/transformations/{id}/runs", {
        params: { path, header },
        body: { command: "build", full_refresh: false, downstream },
      }));
    case "job":
      return unwrap(await api.POST("/api/v1/jobs/{id}/runs", { params: { path, header }, body: { downstream } }));
  }
}

/** The upstreams and downstreams of one node in the graph (declared and inferred edges alike). */
export function neighboursOf(dag: Dag, key: string): { upstream: { node: DagNode; edge: DagEdge }[]; downstream: { node: DagNode; edge: DagEdge }[] } {
  const byKey = new Map(dag.nodes.map((node) => [node.key, node]));
  const upstream: { node: DagNode; edge: DagEdge }[] = [];
  const downstream: { node: DagNode; edge: DagEdge }[] = [];
  for (const edge of dag.edges) {
    if (edge.downstream === key) {
      const node = byKey.get(edge.upstream);
      if (node) upstream.push({ node, edge });
    }
    if (edge.upstream === key) {
      const node = byKey.get(edge.downstream);
      if (node) downstream.push({ node, edge });
    }
  }
  return { upstream, downstream };
}
