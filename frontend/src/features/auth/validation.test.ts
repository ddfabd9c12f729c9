import { describe, expect, it } from "vitest";
import { passwordProblem } from "./validation";

describe("password rules", () => {
  it.each([
    ["short", "a@b.c", "tooShort"],
    ["ä".repeat(37), "a@b.c", "tooLong"],
    ["Ada@Example.com", "ada@example.com", "equalsEmail"],
    ["correct horse battery", "ada@example.com", null],
    ["x".repeat(72), "ada@example.com", null],
  ] as const)("%s → %s", (password, email, expected) => {
    expect(passwordProblem(password, email)).toBe(expected);
  });
});
