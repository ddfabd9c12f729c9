import { isNotFound } from "@tanstack/react-router";
import { describe, expect, it } from "vitest";
import { positiveIntParam } from "./params";

describe("positiveIntParam", () => {
  const params = positiveIntParam("runId");

  it("parses a positive integer and writes it back", () => {
    expect(params.parse({ runId: "42" })).toEqual({ runId: 42 });
    expect(params.stringify({ runId: 42 })).toEqual({ runId: "42" });
  });

  it.each(["0", "-1", "1.5", "1e3", "abc", "", " 7", "9007199254740993"])("treats %j as not found", (raw) => {
    let thrown: unknown;
    try {
      params.parse({ runId: raw });
    } catch (error) {
      thrown = error;
    }
    expect(isNotFound(thrown)).toBe(true);
  });
});
