import { describe, expect, it } from "vitest";

/**
 * The SPA's shared pieces have one home each (docs/conventions.md). These checks read the
 * hand-written sources and fail when a copy creeps back in.
 */
const sources = import.meta.glob<string>(["/src/**/*.{ts,tsx}", "!/src/**/*.test.{ts,tsx}", "!/src/api/schema.d.ts", "!/src/test/**"], {
  query: "?raw",
  import: "default",
  eager: true,
});

function filesMatching(pattern: RegExp): string[] {
  return Object.entries(sources)
    .filter(([, text]) => pattern.test(text))
    .map(([path]) => path)
    .sort();
}

describe("one home per shared piece", () => {
  it("reads the sources", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(50);
  });

  it("turns failed API calls into errors only in unwrap()", () => {
    expect(filesMatching(/if \(!(data|response\.ok)\) throw/)).toEqual([]);
    // The log follower stops only on the statuses that make following pointless, so it keeps its own check.
    expect(filesMatching(/ApiError\.from\(/)).toEqual(["/src/api/unwrap.ts", "/src/features/runs/api.ts"]);
  });

  it("names query keys through each feature's key factory, never as a literal array", () => {
    expect(filesMatching(/queryKey:\s*\[/)).toEqual([]);
    expect(filesMatching(/(QueryData|Queries)\(\s*\[/)).toEqual([]);
  });

  it("parses id route params and makes Idempotency-Keys in one place", () => {
    expect(filesMatching(/throw notFound\(\)/)).toEqual(["/src/routes/params.ts"]);
    expect(filesMatching(/randomUUID\(\)/)).toEqual(["/src/api/idempotency.ts"]);
  });

  it("keeps confirm-and-delete state in useConfirmDelete()", () => {
    // Every confirmation dialog takes its state from the hook, but the one that cancels a run.
    expect(filesMatching(/<ConfirmDialog(?![^>]*\{\.\.\.\w+\.dialog\})/)).toEqual(["/src/features/runs/RunPage.tsx"]);
  });
});
