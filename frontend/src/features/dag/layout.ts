/**
 * A layered left-to-right layout of the DAG (the Sugiyama scheme, reduced to what a few hundred
 * nodes need): each node's layer is the length of the longest path reaching it, so every edge
 * points right; the order inside each layer is improved by barycentre sweeps, which removes most
 * edge crossings; layers are centred on the tallest one.
 */

export type LayoutEdge = { upstream: string; downstream: string };
export type Point = { x: number; y: number };
export type Layout = { positions: Map<string, Point>; width: number; height: number; layers: string[][] };

export const nodeWidth = 200;
export const nodeHeight = 56;
const gapX = 90;
const gapY = 28;
const sweeps = 6;

export function layoutDag(keys: string[], edges: LayoutEdge[], nameOf: (key: string) => string = (key) => key): Layout {
  const known = new Set(keys);
  const ups = new Map<string, string[]>();
  const downs = new Map<string, string[]>();
  for (const key of keys) {
    ups.set(key, []);
    downs.set(key, []);
  }
  for (const edge of edges) {
    if (!known.has(edge.upstream) || !known.has(edge.downstream) || edge.upstream === edge.downstream) continue;
    ups.get(edge.downstream)?.push(edge.upstream);
    downs.get(edge.upstream)?.push(edge.downstream);
  }

  // Longest-path layering in topological order (Kahn). Nodes left on a cycle, which the API
  // refuses, go after everything else rather than being lost.
  const layer = new Map<string, number>();
  const indegree = new Map(keys.map((key) => [key, ups.get(key)?.length ?? 0]));
  const queue = keys.filter((key) => indegree.get(key) === 0).sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  for (const key of queue) layer.set(key, 0);
  // The queue grows while it is walked; an array's iterator sees the new items.
  for (const key of queue) {
    for (const next of downs.get(key) ?? []) {
      layer.set(next, Math.max(layer.get(next) ?? 0, (layer.get(key) ?? 0) + 1));
      const left = (indegree.get(next) ?? 0) - 1;
      indegree.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  const deepest = Math.max(0, ...layer.values());
  for (const key of keys) if (!layer.has(key) || (indegree.get(key) ?? 0) > 0) layer.set(key, deepest + 1);

  const count = Math.max(0, ...layer.values()) + 1;
  const layers: string[][] = Array.from({ length: keys.length === 0 ? 0 : count }, () => []);
  for (const key of [...keys].sort((a, b) => nameOf(a).localeCompare(nameOf(b)))) layers[layer.get(key) ?? 0]?.push(key);

  // Barycentre sweeps: order each layer by the mean position of its neighbours in the layer before
  // (downward sweep) or after (upward sweep).
  const index = new Map<string, number>();
  const reindex = (row: string[]) => {
    row.forEach((key, i) => index.set(key, i));
  };
  layers.forEach(reindex);
  const reorder = (row: string[], neighbours: Map<string, string[]>) => {
    const weight = new Map<string, number>();
    row.forEach((key, i) => {
      const ns = (neighbours.get(key) ?? []).map((n) => index.get(n)).filter((n): n is number => n !== undefined);
      weight.set(key, ns.length === 0 ? i : ns.reduce((a, b) => a + b, 0) / ns.length);
    });
    row.sort((a, b) => (weight.get(a) ?? 0) - (weight.get(b) ?? 0));
    reindex(row);
  };
  for (let s = 0; s < sweeps; s++) {
    if (s % 2 === 0) for (let l = 1; l < layers.length; l++) reorder(layers[l] ?? [], ups);
    else for (let l = layers.length - 2; l >= 0; l--) reorder(layers[l] ?? [], downs);
  }

  const tallest = Math.max(0, ...layers.map((row) => row.length));
  const height = tallest === 0 ? 0 : tallest * nodeHeight + (tallest - 1) * gapY;
  const positions = new Map<string, Point>();
  layers.forEach((row, l) => {
    const rowHeight = row.length * nodeHeight + Math.max(0, row.length - 1) * gapY;
    const top = (height - rowHeight) / 2;
    row.forEach((key, i) => {
      positions.set(key, { x: l * (nodeWidth + gapX), y: top + i * (nodeHeight + gapY) });
    });
  });
  const width = layers.length === 0 ? 0 : layers.length * nodeWidth + (layers.length - 1) * gapX;
  return { positions, width, height, layers };
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

/** The SVG path of an edge: a smooth curve from the right side of one node to the left side of the other. */
export function edgePath(from: Point, to: Point): string {
  const x1 = from.x + nodeWidth;
  const y1 = from.y + nodeHeight / 2;
  const x2 = to.x;
  const y2 = to.y + nodeHeight / 2;
  const bend = Math.max(40, Math.abs(x2 - x1) / 2);
  return `M ${String(x1)} ${String(y1)} C ${String(x1 + bend)} ${String(y1)}, ${String(x2 - bend)} ${String(y2)}, ${String(x2)} ${String(y2)}`;
}
