/** The dbt_utils column tests that take no argument, offered as checkboxes. */
export const dbtUtilsTests = ["dbt_utils.not_empty_string", "dbt_utils.not_constant", "dbt_utils.at_least_one"] as const;

/** One column's generic tests, as the editor shows them. */
export type ColumnTests = {
  column: string;
  notNull: boolean;
  unique: boolean;
  /** Comma-separated; null: no accepted_values test. */
  acceptedValues: string | null;
  /** `to` is a model name (written `ref('<to>')`); null: no relationships test. */
  relationships: { to: string; field: string } | null;
  utils: string[];
  /** Tests the editor does not show (kept as they are). */
  other: unknown[];
};

type TestsConfig = Record<string, unknown> | null | undefined;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The columns of `tests_config` (`{"columns": {"id": ["not_null", …]}}`), by column name. */
export function columnTestsOf(config: TestsConfig): ColumnTests[] {
  const columns = isRecord(config) && isRecord(config.columns) ? config.columns : {};
  return Object.keys(columns)
    .sort((a, b) => a.localeCompare(b))
    .map((column) => {
      const row: ColumnTests = { column, notNull: false, unique: false, acceptedValues: null, relationships: null, utils: [], other: [] };
      const list = columns[column];
      for (const test of Array.isArray(list) ? (list as unknown[]) : []) {
        if (test === "not_null") row.notNull = true;
        else if (test === "unique") row.unique = true;
        else if (typeof test === "string" && (dbtUtilsTests as readonly string[]).includes(test)) row.utils.push(test);
        else if (isRecord(test) && isRecord(test.accepted_values) && Array.isArray(test.accepted_values.values) && Object.keys(test).length === 1) {
          row.acceptedValues = (test.accepted_values.values as unknown[]).map(String).join(", ");
        } else if (isRecord(test) && isRecord(test.relationships) && Object.keys(test).length === 1) {
          const to = typeof test.relationships.to === "string" ? /^ref\(\s*['"](\w+)['"]\s*\)$/.exec(test.relationships.to)?.[1] : undefined;
          const field = test.relationships.field;
          if (to !== undefined && typeof field === "string") row.relationships = { to, field };
          else row.other.push(test);
        } else row.other.push(test);
      }
      return row;
    });
}

/** `tests_config` with the columns' tests replaced by `rows`; model-level tests are kept. */
export function withColumnTests(config: TestsConfig, rows: readonly ColumnTests[]): Record<string, unknown> {
  const columns: Record<string, unknown[]> = {};
  for (const row of rows) {
    const name = row.column.trim();
    if (name === "") continue;
    const list: unknown[] = [];
    if (row.notNull) list.push("not_null");
    if (row.unique) list.push("unique");
    if (row.acceptedValues !== null) {
      const values = row.acceptedValues.split(",").map((v) => v.trim()).filter((v) => v !== "");
      list.push({ accepted_values: { values } });
    }
    if (row.relationships !== null) list.push({ relationships: { to: `ref('${row.relationships.to}')`, field: row.relationships.field } });
    list.push(...row.utils, ...row.other);
    columns[name] = list;
  }
  const rest = isRecord(config) ? Object.fromEntries(Object.entries(config).filter(([key]) => key !== "columns")) : {};
  return Object.keys(columns).length === 0 ? rest : { ...rest, columns };
}
