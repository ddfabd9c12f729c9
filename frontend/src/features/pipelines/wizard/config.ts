import type { Schemas } from "@/api/client";

/**
 * The pipeline config of SPEC §6 as the step-by-step form edits it, and the two conversions:
 * form → config (what is sent) and config → form (editing a stored pipeline, or leaving the raw
 * JSON view). The rules mirror internal/load/config.go so the form never builds a config the API
 * refuses for its shape: single_table when one table is loaded with merge keys or an incremental
 * cursor (full_database forbids `incremental`, and merge on one table takes `primary_key`), else
 * full_database with `table_names` (all tables of one `source_schema`).
 */

export type Config = Record<string, unknown>;
export type CatalogColumn = Schemas["CatalogColumn"];

export const dispositions = ["append", "replace", "merge"] as const;
export type Disposition = (typeof dispositions)[number];
export const contractModes = ["evolve", "freeze", "discard_value", "discard_row"] as const;
export type ContractMode = (typeof contractModes)[number];
export const contractKeys = ["tables", "columns", "data_type"] as const;
export type ContractKey = (typeof contractKeys)[number];
export const filterOps = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "is_null", "not_null"] as const;
export type FilterOp = (typeof filterOps)[number];
export const verifyModes = ["none", "count", "checksum"] as const;
export const namings = ["snake_case", "preserve"] as const;
export const rowOrders = ["asc", "desc"] as const;

export type FilterRow = { column: string; op: FilterOp; value: string };

/** The connection types whose pipelines read files (config.files applies only to them). */
export const fileSourceTypes = ["file", "s3"] as const;
export function isFileSource(type: string | undefined): boolean {
  return type !== undefined && (fileSourceTypes as readonly string[]).includes(type);
}

/** The column types config.files.columns takes (internal/load columnTypeOverride). */
export const fileColumnTypes = ["text", "integer", "decimal", "double", "boolean", "date", "timestamp", "timestamptz", "uuid", "json"] as const;
export const fileEncodings = ["utf-8", "utf-16le", "utf-16be", "latin1"] as const;
export const headerChoices = ["detect", "yes", "no"] as const;

/**
 * config.files as the form edits it (internal/load FileOptions): empty text and "detect" leave a
 * setting to the load engine's detection. Glob, allow_empty and file_column are S3's.
 */
export type FileForm = {
  glob: string;
  allowEmpty: boolean;
  fileColumn: string;
  delimiter: string;
  quote: string;
  header: (typeof headerChoices)[number];
  encoding: "" | (typeof fileEncodings)[number];
  nullMarker: string;
  /** Type overrides by column name. */
  columns: Record<string, string>;
};

export function emptyFileForm(): FileForm {
  return { glob: "", allowEmpty: false, fileColumn: "", delimiter: "", quote: "", header: "detect", encoding: "", nullMarker: "", columns: {} };
}

/** config.files of the form, or undefined when everything is left to detection. */
export function fileOptions(files: FileForm): Config | undefined {
  const out: Config = {};
  if (files.glob.trim() !== "") out.glob = files.glob.trim();
  if (files.allowEmpty) out.allow_empty = true;
  if (files.fileColumn.trim() !== "") out.file_column = files.fileColumn.trim();
  if (files.delimiter !== "") out.delimiter = files.delimiter;
  if (files.quote !== "") out.quote = files.quote;
  if (files.header !== "detect") out.header = files.header === "yes";
  if (files.encoding !== "") out.encoding = files.encoding;
  if (files.nullMarker !== "") out.null_marker = files.nullMarker;
  const columns = Object.entries(files.columns).filter(([, type]) => type !== "");
  if (columns.length > 0) out.columns = Object.fromEntries(columns);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The form of a stored config.files. */
export function fileFormOf(raw: unknown): FileForm {
  const files = emptyFileForm();
  if (!isObject(raw)) return files;
  files.glob = str(raw.glob);
  files.allowEmpty = raw.allow_empty === true;
  files.fileColumn = str(raw.file_column);
  files.delimiter = str(raw.delimiter);
  files.quote = str(raw.quote);
  files.header = raw.header === true ? "yes" : raw.header === false ? "no" : "detect";
  files.encoding = pick(raw.encoding, fileEncodings, "" as const);
  files.nullMarker = str(raw.null_marker);
  if (isObject(raw.columns)) {
    for (const [name, type] of Object.entries(raw.columns)) if (typeof type === "string") files.columns[name] = type;
  }
  return files;
}

export type FormState = {
  name: string;
  description: string;
  sourceId: number | null;
  /** Picked tables as "schema.table". */
  tables: string[];
  /**
   * A stored full_database config without `table_names` loads every table of this schema; kept
   * until the user changes the selection.
   */
  wholeSchema: string | null;
  destinationId: number | null;
  /** Empty: the server's default, the snake_case of the name. */
  destinationSchema: string;
  disposition: Disposition;
  /** Merge keys by picked table ("schema.table"). */
  primaryKeys: Record<string, string[]>;
  incremental: { enabled: boolean; cursorPath: string; initialValue: string; rowOrder: "asc" | "desc"; lag: string };
  contract: Record<ContractKey, ContractMode>;
  filters: FilterRow[];
  batchSize: string;
  verify: (typeof verifyModes)[number];
  naming: (typeof namings)[number];
  /** config.files, sent only for file sources (file, s3) and only when something is set. */
  files: FileForm;
};

export function emptyForm(): FormState {
  return {
    name: "",
    description: "",
    sourceId: null,
    tables: [],
    wholeSchema: null,
    destinationId: null,
    destinationSchema: "",
    disposition: "append",
    primaryKeys: {},
    incremental: { enabled: false, cursorPath: "", initialValue: "", rowOrder: "asc", lag: "" },
    contract: { tables: "evolve", columns: "evolve", data_type: "evolve" },
    filters: [],
    batchSize: "50000",
    verify: "count",
    naming: "snake_case",
    files: emptyFileForm(),
  };
}

/** dlt's snake_case, as internal/load.SnakeCase: InvoiceLine → invoice_line, HTTPServer → http_server. */
export function snakeCase(name: string): string {
  const runes = Array.from(name);
  const isLetter = (r: string) => /\p{L}/u.test(r);
  const isDigit = (r: string) => /\p{Nd}/u.test(r);
  const isUpper = (r: string) => isLetter(r) && r !== r.toLowerCase() && r === r.toUpperCase();
  const isLower = (r: string) => isLetter(r) && r !== r.toUpperCase();
  let out = "";
  let lastUnderscore = true;
  runes.forEach((r, i) => {
    if (!isLetter(r) && !isDigit(r)) {
      if (!lastUnderscore) {
        out += "_";
        lastUnderscore = true;
      }
      return;
    }
    if (isUpper(r) && i > 0 && !lastUnderscore) {
      const prev = runes[i - 1] ?? "";
      const next = runes[i + 1];
      const nextLower = next !== undefined && isLower(next);
      if (isLower(prev) || isDigit(prev) || (isUpper(prev) && nextLower)) out += "_";
    }
    out += r.toLowerCase();
    lastUnderscore = false;
  });
  out = out.replace(/_+$/, "");
  if (out === "") return "_";
  if (isDigit(out[0] ?? "")) out = `_${out}`;
  return out;
}

/** "schema.table" → [schema, table]; a name without a schema has "". */
export function splitTable(qualified: string): [string, string] {
  const dot = qualified.indexOf(".");
  return dot < 0 ? ["", qualified] : [qualified.slice(0, dot), qualified.slice(dot + 1)];
}

/** The schemas the picked tables come from. */
export function schemasOf(tables: string[]): string[] {
  return [...new Set(tables.map((table) => splitTable(table)[0]))];
}

/** single_table when one table is loaded by key or by cursor; else full_database. */
export function modeOf(form: FormState): "single_table" | "full_database" {
  if (form.wholeSchema !== null || form.tables.length !== 1) return "full_database";
  return form.disposition === "merge" || incrementalApplies(form) ? "single_table" : "full_database";
}

/** An incremental cursor is possible on one table that is not replaced whole. */
export function incrementalAllowed(form: FormState): boolean {
  return form.wholeSchema === null && form.tables.length === 1 && form.disposition !== "replace";
}

function incrementalApplies(form: FormState): boolean {
  return form.incremental.enabled && incrementalAllowed(form);
}

const numericType = /int|serial|numeric|decimal|float|double|real|money|number/i;
const booleanType = /^bool/i;

/** A filter's typed-in value as JSON, typed by its column where the catalog knows it. */
export function filterValue(row: FilterRow, columnType: string | undefined): unknown {
  if (row.op === "is_null" || row.op === "not_null") return undefined;
  const one = (text: string): unknown => {
    const trimmed = text.trim();
    if (columnType && numericType.test(columnType) && trimmed !== "" && Number.isFinite(Number(trimmed))) return Number(trimmed);
    if (columnType && booleanType.test(columnType) && (trimmed === "true" || trimmed === "false")) return trimmed === "true";
    return text;
  };
  if (row.op === "in" || row.op === "not_in") {
    return row.value
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "")
      .map(one);
  }
  return one(row.value);
}

function filterText(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ");
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The config the form describes, as it is sent (SPEC §6 keys, dlt names). */
export function buildConfig(form: FormState, columnTypes = new Map<string, string>()): Config {
  const mode = modeOf(form);
  const config: Config = { mode };
  if (mode === "single_table") {
    const [schema] = splitTable(form.tables[0] ?? "");
    config.table = form.tables[0] ?? "";
    if (schema) config.source_schema = schema;
  } else if (form.wholeSchema !== null) {
    if (form.wholeSchema) config.source_schema = form.wholeSchema;
  } else {
    const schemas = schemasOf(form.tables);
    const [only] = schemas;
    if (schemas.length === 1 && only) config.source_schema = only;
    config.table_names = form.tables.map((table) => (schemas.length === 1 ? splitTable(table)[1] : table));
  }
  config.write_disposition = form.disposition;
  if (form.disposition === "merge") {
    if (mode === "single_table") {
      const keys = form.primaryKeys[form.tables[0] ?? ""] ?? [];
      config.primary_key = keys.length === 1 ? keys[0] : keys;
    } else {
      const mergeConfig: Record<string, { primary_key: string | string[] }> = {};
      for (const table of form.tables) {
        const keys = form.primaryKeys[table] ?? [];
        if (keys.length === 0) continue;
        mergeConfig[splitTable(table)[1]] = { primary_key: keys.length === 1 ? (keys[0] ?? "") : keys };
      }
      config.merge_config = mergeConfig;
    }
  }
  if (mode === "single_table" && incrementalApplies(form)) {
    const inc: Config = { cursor_path: form.incremental.cursorPath, row_order: form.incremental.rowOrder };
    if (form.incremental.initialValue.trim() !== "") inc.initial_value = form.incremental.initialValue.trim();
    if (form.incremental.lag.trim() !== "") inc.lag = form.incremental.lag.trim();
    config.incremental = inc;
  }
  const batch = form.batchSize.trim();
  config.batch_size = /^\d+$/.test(batch) ? Number(batch) : batch;
  config.schema_contract = { ...form.contract };
  if (form.filters.length > 0) {
    config.filters = form.filters.map((row) => {
      const value = filterValue(row, columnTypes.get(row.column));
      return value === undefined ? { column: row.column, op: row.op } : { column: row.column, op: row.op, value };
    });
  }
  config.verify = form.verify;
  config.naming = form.naming;
  const files = fileOptions(form.files);
  if (files) config.files = files;
  return config;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : "";
}

function keyList(value: unknown): string[] {
  if (typeof value === "string") return value ? [value] : [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function pick<T extends string, F extends string = T>(value: unknown, allowed: readonly T[], fallback: F): T | F {
  return typeof value === "string" && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** Reads a stored (or hand-written) config into the form; what the form cannot show is dropped. */
export function formFromConfig(config: Config, base: FormState = emptyForm()): FormState {
  const form: FormState = { ...base, primaryKeys: {}, filters: [], wholeSchema: null };
  const mode = config.mode === "single_table" ? "single_table" : "full_database";
  const sourceSchema = str(config.source_schema);
  const qualify = (name: string) => (name.includes(".") || !sourceSchema ? name : `${sourceSchema}.${name}`);
  if (mode === "single_table") {
    const table = str(config.table);
    form.tables = table ? [qualify(table)] : [];
  } else if (Array.isArray(config.table_names)) {
    form.tables = config.table_names.filter((n): n is string => typeof n === "string").map(qualify);
  } else {
    form.tables = [];
    form.wholeSchema = sourceSchema;
  }
  form.disposition = pick(config.write_disposition, dispositions, "append");
  if (mode === "single_table" && form.tables[0]) {
    const keys = keyList(config.primary_key);
    if (keys.length > 0) form.primaryKeys[form.tables[0]] = keys;
  }
  if (isObject(config.merge_config)) {
    for (const [table, entry] of Object.entries(config.merge_config)) {
      if (isObject(entry)) form.primaryKeys[qualify(table)] = keyList(entry.primary_key);
    }
  }
  const inc = config.incremental;
  form.incremental = isObject(inc)
    ? {
        enabled: true,
        cursorPath: str(inc.cursor_path),
        initialValue: str(inc.initial_value),
        rowOrder: pick(inc.row_order, rowOrders, "asc"),
        lag: str(inc.lag),
      }
    : { ...emptyForm().incremental };
  const contract = config.schema_contract;
  if (typeof contract === "string") {
    const mode = pick(contract, contractModes, "evolve");
    form.contract = { tables: mode, columns: mode, data_type: mode };
  } else if (isObject(contract)) {
    form.contract = {
      tables: pick(contract.tables, contractModes, "evolve"),
      columns: pick(contract.columns, contractModes, "evolve"),
      data_type: pick(contract.data_type, contractModes, "evolve"),
    };
  } else {
    form.contract = { ...emptyForm().contract };
  }
  if (Array.isArray(config.filters)) {
    form.filters = config.filters.filter(isObject).map((f) => ({
      column: str(f.column),
      op: pick(f.op, filterOps, "eq"),
      value: filterText(f.value),
    }));
  }
  form.batchSize = config.batch_size === undefined ? "50000" : str(config.batch_size);
  form.verify = pick(config.verify, verifyModes, "count");
  form.naming = pick(config.naming, namings, "snake_case");
  form.files = fileFormOf(config.files);
  return form;
}

export type Pipeline = Schemas["Pipeline"];

/** The form of a stored pipeline. */
export function formFromPipeline(pipeline: Pipeline): FormState {
  return {
    ...formFromConfig(pipeline.config),
    name: pipeline.name,
    description: pipeline.description,
    sourceId: pipeline.source_connection_id,
    destinationId: pipeline.destination_connection_id,
    destinationSchema: pipeline.destination_schema,
  };
}

export const steps = ["source", "tables", "destination", "loading", "review"] as const;
export type Step = (typeof steps)[number];

/** The step that shows an API field error (`errors[].field`). */
export function stepOfField(field: string): Step {
  if (field === "name" || field === "description" || field === "source_connection_id") return "source";
  if (field === "destination_connection_id" || field === "destination_schema") return "destination";
  if (/^config\.(mode|table|table_names|source_schema|files)(\W|$)/.test(field)) return "tables";
  if (field.startsWith("config.")) return "loading";
  return "review";
}

/** What the form can check before sending; keys are API field paths so they show where the API's would. */
export function localErrors(form: FormState, step: Step, messages: (key: string) => string): Record<string, string> {
  const errors: Record<string, string> = {};
  if (step === "source") {
    if (form.name.trim() === "") errors.name = messages("required");
    if (form.sourceId === null) errors.source_connection_id = messages("pickSource");
  }
  if (step === "tables") {
    if (form.tables.length === 0 && form.wholeSchema === null) errors["config.table_names"] = messages("pickTables");
    else if (modeOf(form) === "full_database" && form.wholeSchema === null && schemasOf(form.tables).length > 1)
      errors["config.table_names"] = messages("oneSchema");
  }
  if (step === "destination" && form.destinationId === null) errors.destination_connection_id = messages("pickDestination");
  if (step === "loading") {
    if (form.disposition === "merge") {
      const keyed = form.tables.filter((table) => (form.primaryKeys[table] ?? []).length > 0);
      if (keyed.length === 0) {
        errors[modeOf(form) === "single_table" ? "config.primary_key" : "config.merge_config"] = messages("pickKey");
      }
    }
    if (incrementalApplies(form) && form.incremental.cursorPath.trim() === "")
      errors["config.incremental.cursor_path"] = messages("pickCursor");
    if (!/^[1-9]\d*$/.test(form.batchSize.trim())) errors["config.batch_size"] = messages("batchSize");
    form.filters.forEach((row, i) => {
      if (row.column.trim() === "") errors[`config.filters[${String(i)}].column`] = messages("required");
      if (row.op !== "is_null" && row.op !== "not_null" && row.value.trim() === "")
        errors[`config.filters[${String(i)}].value`] = messages("required");
    });
  }
  return errors;
}

/** The columns of a picked table in the catalog, for key, cursor and filter pickers. */
export function columnsOf(catalog: Schemas["Catalog"] | undefined, qualified: string): CatalogColumn[] {
  const [schema, table] = splitTable(qualified);
  const found = catalog?.schemas.find((s) => s.name === schema)?.tables.find((t) => t.name === table);
  return found?.columns ?? [];
}
