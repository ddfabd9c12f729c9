import { describe, expect, it } from "vitest";
import {
  buildConfig,
  emptyFileForm,
  emptyForm,
  fileFormOf,
  fileOptions,
  formFromConfig,
  localErrors,
  snakeCase,
  stepOfField,
  type FormState,
} from "./config";

function form(patch: Partial<FormState>): FormState {
  return { ...emptyForm(), name: "Orders", sourceId: 1, destinationId: 2, ...patch };
}

const defaults = {
  batch_size: 50000,
  schema_contract: { tables: "evolve", columns: "evolve", data_type: "evolve" },
  verify: "count",
  naming: "snake_case",
};

describe("buildConfig", () => {
  it("appends picked tables of one schema as full_database with table_names", () => {
    expect(buildConfig(form({ tables: ["public.orders", "public.customers"] }))).toEqual({
      mode: "full_database",
      source_schema: "public",
      table_names: ["orders", "customers"],
      write_disposition: "append",
      ...defaults,
    });
  });

  it("replaces one table as full_database (no key, no cursor) and never sends incremental", () => {
    const config = buildConfig(
      form({
        tables: ["public.orders"],
        disposition: "replace",
        incremental: { enabled: true, cursorPath: "updated_at", initialValue: "", rowOrder: "asc", lag: "" },
      }),
    );
    expect(config).toEqual({
      mode: "full_database",
      source_schema: "public",
      table_names: ["orders"],
      write_disposition: "replace",
      ...defaults,
    });
  });

  it("merges one table as single_table with its primary key", () => {
    expect(buildConfig(form({ tables: ["public.orders"], disposition: "merge", primaryKeys: { "public.orders": ["id"] } }))).toEqual({
      mode: "single_table",
      table: "public.orders",
      source_schema: "public",
      write_disposition: "merge",
      primary_key: "id",
      ...defaults,
    });
    const composite = buildConfig(
      form({ tables: ["public.lines"], disposition: "merge", primaryKeys: { "public.lines": ["order_id", "line"] } }),
    );
    expect(composite.primary_key).toEqual(["order_id", "line"]);
  });

  it("merges several tables with merge_config; tables without a key are left to append", () => {
    const config = buildConfig(
      form({
        tables: ["public.orders", "public.events"],
        disposition: "merge",
        primaryKeys: { "public.orders": ["order_id"], "public.events": [] },
      }),
    );
    expect(config.mode).toBe("full_database");
    expect(config.merge_config).toEqual({ orders: { primary_key: "order_id" } });
    expect(config).not.toHaveProperty("primary_key");
    expect(config).not.toHaveProperty("table");
  });

  it("loads one table incrementally as single_table with the cursor settings", () => {
    const config = buildConfig(
      form({
        tables: ["public.orders"],
        incremental: { enabled: true, cursorPath: "updated_at", initialValue: " 2024-01-01 ", rowOrder: "desc", lag: "5m" },
      }),
    );
    expect(config).toMatchObject({
      mode: "single_table",
      table: "public.orders",
      write_disposition: "append",
      incremental: { cursor_path: "updated_at", initial_value: "2024-01-01", row_order: "desc", lag: "5m" },
    });
    expect(config).not.toHaveProperty("table_names");
  });

  it("types filter values by their column and splits lists", () => {
    const config = buildConfig(
      form({
        tables: ["public.orders"],
        filters: [
          { column: "total", op: "gte", value: "10.5" },
          { column: "country", op: "in", value: "GB, US ,," },
          { column: "zip", op: "eq", value: "00123" },
          { column: "paid", op: "eq", value: "true" },
          { column: "deleted_at", op: "is_null", value: "ignored" },
        ],
      }),
      new Map([
        ["total", "numeric"],
        ["country", "text"],
        ["zip", "text"],
        ["paid", "boolean"],
      ]),
    );
    expect(config.filters).toEqual([
      { column: "total", op: "gte", value: 10.5 },
      { column: "country", op: "in", value: ["GB", "US"] },
      { column: "zip", op: "eq", value: "00123" },
      { column: "paid", op: "eq", value: true },
      { column: "deleted_at", op: "is_null" },
    ]);
  });
});

describe("formFromConfig", () => {
  it.each([
    ["full_database append", form({ tables: ["public.orders", "public.customers"] })],
    ["single_table merge", form({ tables: ["public.orders"], disposition: "merge", primaryKeys: { "public.orders": ["a", "b"] } })],
    [
      "full_database merge",
      form({ tables: ["sales.orders", "sales.lines"], disposition: "merge", primaryKeys: { "sales.orders": ["id"] } }),
    ],
    [
      "incremental with filters and a frozen contract",
      form({
        tables: ["public.orders"],
        incremental: { enabled: true, cursorPath: "updated_at", initialValue: "7", rowOrder: "asc", lag: "1d" },
        contract: { tables: "freeze", columns: "discard_row", data_type: "discard_value" },
        filters: [{ column: "country", op: "not_in", value: "GB, US" }],
        batchSize: "1000",
        verify: "checksum",
        naming: "preserve",
      }),
    ],
  ])("reads back what buildConfig wrote (%s)", (_, original) => {
    const config = buildConfig(original);
    const back = formFromConfig(JSON.parse(JSON.stringify(config)) as Record<string, unknown>, original);
    expect(buildConfig(back)).toEqual(config);
    expect(back.tables).toEqual(original.tables);
  });

  it("reads a full_database config without table_names as every table of the schema", () => {
    const back = formFromConfig({ mode: "full_database", source_schema: "public" });
    expect(back.wholeSchema).toBe("public");
    expect(buildConfig(back)).toMatchObject({ mode: "full_database", source_schema: "public" });
    expect(buildConfig(back)).not.toHaveProperty("table_names");
  });

  it("reads a contract given as one string and a key given as a string", () => {
    const back = formFromConfig({ mode: "single_table", table: "orders", source_schema: "s", write_disposition: "merge", primary_key: "id", schema_contract: "freeze" });
    expect(back.tables).toEqual(["s.orders"]);
    expect(back.primaryKeys).toEqual({ "s.orders": ["id"] });
    expect(back.contract).toEqual({ tables: "freeze", columns: "freeze", data_type: "freeze" });
  });
});

describe("rules", () => {
  it("snake_cases names like the engine", () => {
    expect(snakeCase("InvoiceLine")).toBe("invoice_line");
    expect(snakeCase("HTTPServer")).toBe("http_server");
    expect(snakeCase("Orders to warehouse!")).toBe("orders_to_warehouse");
    expect(snakeCase("2024 sales")).toBe("_2024_sales");
    expect(snakeCase("***")).toBe("_");
  });

  it("maps API field paths to the step that shows them", () => {
    expect(stepOfField("name")).toBe("source");
    expect(stepOfField("config.table_names[1]")).toBe("tables");
    expect(stepOfField("config.table")).toBe("tables");
    expect(stepOfField("destination_schema")).toBe("destination");
    expect(stepOfField("config.incremental.cursor_path")).toBe("loading");
    expect(stepOfField("config.filters[0].value")).toBe("loading");
    expect(stepOfField("config.merge_config.orders.primary_key")).toBe("loading");
    expect(stepOfField("something_else")).toBe("review");
  });

  it("asks for a merge key, a cursor and one schema before going on", () => {
    const messages = (key: string) => key;
    expect(localErrors(form({ tables: [] }), "tables", messages)).toEqual({ "config.table_names": "pickTables" });
    expect(localErrors(form({ tables: ["a.x", "b.y"] }), "tables", messages)).toEqual({ "config.table_names": "oneSchema" });
    expect(localErrors(form({ tables: ["a.x"], disposition: "merge" }), "loading", messages)).toEqual({ "config.primary_key": "pickKey" });
    expect(localErrors(form({ tables: ["a.x", "a.y"], disposition: "merge" }), "loading", messages)).toEqual({ "config.merge_config": "pickKey" });
    expect(
      localErrors(
        form({ tables: ["a.x"], incremental: { enabled: true, cursorPath: "", initialValue: "", rowOrder: "asc", lag: "" } }),
        "loading",
        messages,
      ),
    ).toEqual({ "config.incremental.cursor_path": "pickCursor" });
  });
});

describe("config.files", () => {
  it("sends nothing when every setting is left to detection", () => {
    expect(fileOptions(emptyFileForm())).toBeUndefined();
    expect(buildConfig(form({ tables: ["file.file_7"] }))).not.toHaveProperty("files");
  });

  it("writes the overrides under the load engine's names and reads them back", () => {
    const files = {
      ...emptyFileForm(),
      glob: " 2024/**/*.csv ",
      allowEmpty: true,
      fileColumn: "source_key",
      delimiter: "\t",
      quote: "'",
      header: "no" as const,
      encoding: "utf-16le" as const,
      nullMarker: "\\N",
      columns: { zip: "text", amount: "decimal" },
    };
    const config = buildConfig(form({ tables: ["file.file_7"], files }));
    expect(config.files).toEqual({
      glob: "2024/**/*.csv",
      allow_empty: true,
      file_column: "source_key",
      delimiter: "\t",
      quote: "'",
      header: false,
      encoding: "utf-16le",
      null_marker: "\\N",
      columns: { zip: "text", amount: "decimal" },
    });
    expect(formFromConfig(config).files).toEqual({ ...files, glob: "2024/**/*.csv" });
  });

  it("keeps header true, and drops what the form cannot show", () => {
    expect(fileOptions({ ...emptyFileForm(), header: "yes" })).toEqual({ header: true });
    expect(fileFormOf({ header: true, encoding: "ebcdic", columns: { a: 1, b: "date" }, sample_rows: 10 })).toEqual({
      ...emptyFileForm(),
      header: "yes",
      columns: { b: "date" },
    });
    expect(fileFormOf("nope")).toEqual(emptyFileForm());
  });

  it("shows config.files errors on the tables step", () => {
    expect(stepOfField("config.files.columns.zip")).toBe("tables");
    expect(stepOfField("config.files")).toBe("tables");
  });
});
