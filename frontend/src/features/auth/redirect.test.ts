import { describe, expect, it } from "vitest";
import { authSearchSchema } from "./redirect";

describe("authSearchSchema", () => {
  it.each(["/", "/pipelines", "/runs?status=failed", "/settings/api-keys#top"])("keeps the app path %s", (path) => {
    expect(authSearchSchema.parse({ redirect: path })).toEqual({ redirect: path });
  });

  it.each(["//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "pipelines", "/a b", 42])(
    "drops %s",
    (value) => {
      expect(authSearchSchema.parse({ redirect: value })).toEqual({ redirect: undefined });
    },
  );

  it("accepts a missing redirect", () => {
    expect(authSearchSchema.parse({})).toEqual({});
  });
});
