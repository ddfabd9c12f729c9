/** Table names typed as a list: separated by commas, spaces or lines, each once, in order. */
export function parseTableNames(text: string): string[] {
  const out: string[] = [];
  for (const name of text.split(/[\s,]+/)) if (name !== "" && !out.includes(name)) out.push(name);
  return out;
}
