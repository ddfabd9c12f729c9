/** What the editor can complete at the cursor, from the text of the line before it. */
export type CompletionContext =
  | { kind: "ref"; prefix: string }
  | { kind: "sourceName"; prefix: string }
  | { kind: "sourceTable"; source: string; prefix: string }
  | { kind: "jinja"; prefix: string }
  | { kind: "sql"; prefix: string; qualifier: string | null };

/**
 * The completion context of `before` (the line up to the cursor): a model name inside `ref('…`, a
 * source inside `source('…`, its table after `source('raw', '…`, a macro or function inside `{{ … `
 * or `{% … `, else an SQL word, with the relation it is qualified by (`o.` in `o.amo`).
 */
export function completionContext(before: string): CompletionContext {
  let match = /\bref\(\s*['"](\w*)$/.exec(before);
  if (match) return { kind: "ref", prefix: match[1] ?? "" };
  match = /\bsource\(\s*['"](\w+)['"]\s*,\s*['"](\w*)$/.exec(before);
  if (match) return { kind: "sourceTable", source: match[1] ?? "", prefix: match[2] ?? "" };
  match = /\bsource\(\s*['"](\w*)$/.exec(before);
  if (match) return { kind: "sourceName", prefix: match[1] ?? "" };
  const open = Math.max(before.lastIndexOf("{{"), before.lastIndexOf("{%"));
  const close = Math.max(before.lastIndexOf("}}"), before.lastIndexOf("%}"));
  const word = /(\w*)$/.exec(before)?.[1] ?? "";
  if (open >= 0 && open > close) return { kind: "jinja", prefix: word };
  const qualified = /(\w+)\.(\w*)$/.exec(before);
  if (qualified) return { kind: "sql", prefix: qualified[2] ?? "", qualifier: qualified[1] ?? null };
  return { kind: "sql", prefix: word, qualifier: null };
}

/** The names of the macros a macro file defines (`{% macro cents_to_dollars(col) %}`). */
export function macroNames(sqlBody: string): string[] {
  return [...sqlBody.matchAll(/\{%-?\s*macro\s+(\w+)\s*\(/g)].map((m) => m[1] ?? "").filter((name) => name !== "");
}

/** The options offered for a context: names starting with the prefix (ignoring case), sorted, once each. */
export function filterOptions(names: Iterable<string>, prefix: string): string[] {
  const lower = prefix.toLowerCase();
  return [...new Set(names)].filter((name) => name.toLowerCase().startsWith(lower)).sort((a, b) => a.localeCompare(b));
}
