import { describe, expect, it } from "vitest";
import { crossings, gapX, layoutDag, nodeWidth } from "./layout";

describe("DAG layout", () => {
  it("puts every upstream left of its downstreams, in ranks", () => {
    const edges = [
      { upstream: "a", downstream: "b" },
      { upstream: "b", downstream: "c" },
      { upstream: "a", downstream: "c" },
      { upstream: "x", downstream: "c" },
    ];
    const layout = layoutDag(["c", "b", "a", "x", "alone"], edges);
    const x = (key: string) => layout.positions.get(key)?.x ?? -1;
    for (const edge of edges) expect(x(edge.upstream)).toBeLessThan(x(edge.downstream));
    // Three ranks: a first, c last, b between them (x may sit in the middle rank, next to its only downstream).
    expect(layout.layers).toHaveLength(3);
    expect(layout.layers[0]).toContain("a");
    expect(layout.layers[1]).toContain("b");
    expect(layout.layers[2]).toEqual(["c"]);
    expect(x("c") - x("a")).toBe(2 * (nodeWidth + gapX));
    expect(layout.width).toBe(3 * nodeWidth + 2 * gapX);
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
});
