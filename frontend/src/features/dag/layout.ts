import dagre from "@dagrejs/dagre";

/**
 * The automatic layered left-to-right layout of the DAG, by dagre (the Sugiyama scheme: ranks so
 * that every edge points right, then an order inside each rank that removes most crossings).
 * Nodes are added by name, so the same graph always gets the same picture.
 */

export type LayoutEdge = { upstream: string; downstream: string };
export type Point = { x: number; y: number };
export type Layout = { positions: Map<string, Point>; width: number; height: number; layers: string[][] };

export const nodeWidth = 200;
export const nodeHeight = 56;
export const gapX = 90;
const gapY = 28;

export function layoutDag(keys: string[], edges: LayoutEdge[], nameOf: (key: string) => string = (key) => key): Layout {
  const graph = new dagre.graphlib.Graph<
    { rankdir: string; nodesep: number; ranksep: number; marginx: number; marginy: number; width?: number; height?: number },
    { width: number; height: number; x?: number; y?: number },
    object
  >();
  graph.setGraph({ rankdir: "LR", nodesep: gapY, ranksep: gapX, marginx: 0, marginy: 0 });
  graph.setDefaultEdgeLabel(() => ({}));
  const known = new Set(keys);
  for (const key of [...keys].sort((a, b) => nameOf(a).localeCompare(nameOf(b)))) graph.setNode(key, { width: nodeWidth, height: nodeHeight });
  for (const edge of edges) {
    if (known.has(edge.upstream) && known.has(edge.downstream) && edge.upstream !== edge.downstream) graph.setEdge(edge.upstream, edge.downstream);
  }
  dagre.layout(graph);
  const positions = new Map<string, Point>();
  const byX = new Map<number, string[]>();
  for (const key of keys) {
    const placed = graph.node(key);
    const left = Math.round((placed.x ?? 0) - nodeWidth / 2);
    positions.set(key, { x: left, y: Math.round((placed.y ?? 0) - nodeHeight / 2) });
    byX.set(left, [...(byX.get(left) ?? []), key]);
  }
  const layers = [...byX.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, row]) => row.sort((a, b) => (positions.get(a)?.y ?? 0) - (positions.get(b)?.y ?? 0)));
  const size = graph.graph();
  return { positions, width: size.width ?? 0, height: size.height ?? 0, layers };
}

/** Number of pairs of edges between the same two layers that cross. */
export function crossings(layout: Layout, edges: LayoutEdge[]): number {
  let n = 0;
  const pos = layout.positions;
  for (let i = 0; i < edges.length; i++) {
    for (let j = i + 1; j < edges.length; j++) {
      const a = edges[i];
      const b = edges[j];
      if (!a || !b) continue;
      const a1 = pos.get(a.upstream);
      const a2 = pos.get(a.downstream);
      const b1 = pos.get(b.upstream);
      const b2 = pos.get(b.downstream);
      if (!a1 || !a2 || !b1 || !b2 || a1.x !== b1.x || a2.x !== b2.x) continue;
      if ((a1.y - b1.y) * (a2.y - b2.y) < 0) n++;
    }
  }
  return n;
}
