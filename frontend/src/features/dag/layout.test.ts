import { describe, expect, it } from "vitest";
import { crossings, edgePath, layoutDag, nodeWidth } from "./layout";

describe("DAG layout", () => {
  it("puts every upstream left of its downstreams, each node on its longest path", () => {
    const edges = [
      { upstream: "a", downstream: "b" },
      { upstream: "b", downstream: "c" },
      { upstream: "a", downstream: "c" },
      { upstream: "x", downstream: "c" },
    ];
    const layout = layoutDag(["c", "b", "a", "x", "alone"], edges);
    const x = (key: string) => layout.positions.get(key)?.x ?? -1;
    for (const edge of edges) expect(x(edge.upstream)).toBeLessThan(x(edge.downstream));
    expect(layout.layers.map((row) => [...row].sort())).toEqual([
      ["a", "alone", "x"],
      ["b"],
      ["c"],
    ]);
    expect(x("c")).toBe(2 * (nodeWidth + 90));
    expect(layout.width).toBe(3 * nodeWidth + 2 * 90);
  });

  it("orders layers to remove crossings", () => {
    // Sorted by name the second layer would be y, z under a, b: a→z and b→y would cross.
    const edges = [
      { upstream: "a", downstream: "z" },
      { upstream: "b", downstream: "y" },
      { upstream: "z", downstream: "m" },
      { upstream: "y", downstream: "n" },
    ];
    const layout = layoutDag(["a", "b", "y", "z", "m", "n"], edges);
    expect(crossings(layout, edges)).toBe(0);
  });

  it("keeps nodes of a cycle instead of losing them, and handles an empty graph", () => {
    const layout = layoutDag(["a", "b"], [
      { upstream: "a", downstream: "b" },
      { upstream: "b", downstream: "a" },
    ]);
    expect(layout.positions.size).toBe(2);
    expect(layoutDag([], []).positions.size).toBe(0);
  });

  it("draws an edge from the right side of one node to the left side of the next", () => {
    expect(edgePath({ x: 0, y: 0 }, { x: 290, y: 0 })).toBe("M 200 28 C 245 28, 245 28, 290 28");
  });
});
