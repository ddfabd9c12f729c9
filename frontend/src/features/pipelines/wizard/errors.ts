/** API and form messages by field path (`config.filters[0].value`). */
export type Errors = Record<string, string>;

/** The message for a field path or anything under it (`config.filters[0]` covers `config.filters[0].value`). */
export function errorAt(errors: Errors, path: string, exact = false): string | undefined {
  if (errors[path] !== undefined) return errors[path];
  if (exact) return undefined;
  for (const [field, message] of Object.entries(errors)) {
    if (field.startsWith(`${path}.`) || field.startsWith(`${path}[`)) return message;
  }
  return undefined;
}

/** Fields a step shows next to their control; other errors are listed at the top of the step. */
export const placed = [
  /^(name|description|source_connection_id|destination_connection_id|destination_schema)$/,
  /^config\.(mode|table|table_names|source_schema)(\W|$)/,
  /^config\.files\.(glob|file_column|delimiter|quote|header|encoding|null_marker|columns)(\W|$)/,
  /^config\.(write_disposition|primary_key|merge_config|incremental|schema_contract|filters|batch_size|verify|naming)(\W|$)/,
];
