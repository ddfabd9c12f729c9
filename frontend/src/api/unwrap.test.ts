import { describe, expect, it } from "vitest";
import { ApiError } from "./client";
import { unwrap } from "./unwrap";

const json = (status: number) => new Response(null, { status, headers: { "Retry-After": "7" } });

describe("unwrap", () => {
  it("returns the data of a successful call", () => {
    expect(unwrap({ data: { id: 1 }, response: json(200) })).toEqual({ id: 1 });
  });

  it("succeeds without data on 204 No Content", () => {
    expect(unwrap<{ id: number }>({ data: undefined, response: new Response(null, { status: 204 }) })).toBeUndefined();
  });

  it("throws the problem of a failed call as an ApiError with its status and Retry-After", () => {
    const problem = { title: "Too Many Requests", status: 429, detail: "Slow down." };
    const call = () => unwrap({ error: problem, response: json(429) });
    expect(call).toThrow(ApiError);
    expect(call).toThrow("Slow down.");
    try {
      call();
    } catch (error) {
      expect(error).toMatchObject({ status: 429, problem, retryAfter: 7 });
    }
  });

  it("throws when a call that should carry data has none", () => {
    expect(() => unwrap<{ id: number }>({ data: undefined, response: json(200) })).toThrow("HTTP 200");
  });
});
