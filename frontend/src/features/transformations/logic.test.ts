import { describe, expect, it } from "vitest";
import { ApiError } from "@/api/client";
import { completionContext, filterOptions, macroNames } from "./completion";
import { columnTestsOf, withColumnTests } from "./testsConfig";
import { lineErrors, pathFor } from "./diagnostics";
import { lineageOf, treeRows } from "./tree";
import { completionData } from "./useCompletionData";

const m = (id: number, name: string, path: string) => ({ id, name, path });

describe("treeRows", () => {
  const models = [m(1, "stg_orders", "staging/stg_orders.sql"), m(2, "orders", "marts/orders.sql"), m(3, "top", "top.sql"), m(4, "stg_customers", "staging/shop/stg_customers.sql")];

  it("nests models in their folders, folders first, by name", () => {
    const rows = treeRows(models).map((r) => (r.kind === "folder" ? `${"  ".repeat(r.depth)}[${r.path}]` : `${"  ".repeat(r.depth)}${r.model.name}`));
    expect(rows).toEqual(["[marts]", "  orders", "[staging]", "  [staging/shop]", "    stg_customers", "  stg_orders", "top"]);
  });

  it("keeps only matching models and their folders when searching, ignoring case", () => {
    const rows = treeRows(models, " CUSTOMERS ").map((r) => (r.kind === "folder" ? r.path : r.model.name));
    expect(rows).toEqual(["staging", "staging/shop", "stg_customers"]);
    expect(treeRows(models, "marts/").map((r) => (r.kind === "folder" ? r.path : r.model.name))).toEqual(["marts", "orders"]);
    expect(treeRows(models, "nothing")).toEqual([]);
  });
});

describe("completionContext", () => {
  it("completes model names inside ref()", () => {
    expect(completionContext("select * from {{ ref('stg_")).toEqual({ kind: "ref", prefix: "stg_" });
    expect(completionContext('from {{ ref("')).toEqual({ kind: "ref", prefix: "" });
  });

  it("completes source names, then their tables", () => {
    expect(completionContext("from {{ source('ra")).toEqual({ kind: "sourceName", prefix: "ra" });
    expect(completionContext("from {{ source('raw', 'ord")).toEqual({ kind: "sourceTable", source: "raw", prefix: "ord" });
  });

  it("completes macros inside an open Jinja tag only", () => {
    expect(completionContext("select {{ cents_")).toEqual({ kind: "jinja", prefix: "cents_" });
    expect(completionContext("{% if is_")).toEqual({ kind: "jinja", prefix: "is_" });
    expect(completionContext("select {{ x }} amo")).toEqual({ kind: "sql", prefix: "amo", qualifier: null });
  });

  it("completes the columns of a qualified relation", () => {
    expect(completionContext("select o.amo")).toEqual({ kind: "sql", prefix: "amo", qualifier: "o" });
    expect(completionContext("select orders.")).toEqual({ kind: "sql", prefix: "", qualifier: "orders" });
  });
});

describe("macroNames and filterOptions", () => {
  it("finds every macro a file defines", () => {
    expect(macroNames("{% macro cents_to_dollars(col) %}x{% endmacro %}\n{%- macro  pct (a, b) -%}{% endmacro %}")).toEqual(["cents_to_dollars", "pct"]);
    expect(macroNames("select 1")).toEqual([]);
  });

  it("keeps names with the prefix, sorted, once", () => {
    expect(filterOptions(["stg_orders", "orders", "Stg_customers", "stg_orders"], "stg")).toEqual(["Stg_customers", "stg_orders"]);
  });
});

describe("completionData", () => {
  it("gathers the project's names for its destination only", () => {
    const data = completionData(5, {
      models: [{ name: "stg_orders", destination_connection_id: 5 }, { name: "elsewhere", destination_connection_id: 6 }],
      seeds: [{ name: "countries", destination_connection_id: 5 }],
      sources: [{ name: "shop", connection_id: 5, tables: [{ name: "payments" }] }, { name: "other", connection_id: 6, tables: [] }],
      macros: [{ sql_body: "{% macro cents(x) %}{% endmacro %}" }],
      pipelines: [{ destination_schema: "raw", destination_connection_id: 5 }],
      catalog: {
        connection_id: 5,
        schemas: [{ name: "raw", tables: [{ name: "orders", kind: "table", columns: [{ name: "id", type: "int", nullable: false, primary_key: true }] }] }],
      },
    });
    expect(data.models).toEqual(["stg_orders", "countries"]);
    expect(Object.fromEntries(data.sources)).toEqual({ raw: ["orders"], shop: ["payments"] });
    expect(data.macros).toEqual(["cents"]);
    expect(data.relations.get("raw.orders")).toEqual(["id"]);
    expect(data.relations.get("orders")).toEqual(["id"]);
  });
});

describe("lineErrors", () => {
  const error = new ApiError(422, {
    type: "urn:datanika:problem:validation",
    title: "Unprocessable",
    status: 422,
    errors: [
      { field: "sql_body", message: "unknown ref 'nope'", file: "models/staging/stg_orders.sql", line: 3, column: 12 },
      { field: "sql_body", message: "in a macro", file: "macros/cents.sql", line: 1 },
      { field: "sql_body", message: "no file", line: 2 },
      { field: "name", message: "no line" },
    ],
  });

  it("keeps the errors with a line in this model's file or with no file", () => {
    expect(lineErrors(error, ["staging/stg_orders.sql"])).toEqual([
      { line: 3, column: 12, message: "unknown ref 'nope'" },
      { line: 2, column: null, message: "no file" },
    ]);
    expect(lineErrors(error, ["other.sql"])).toEqual([{ line: 2, column: null, message: "no file" }]);
    expect(lineErrors(new Error("network"), ["x.sql"])).toEqual([]);
  });

  it("names a model's default path", () => {
    expect(pathFor("orders", "")).toBe("orders.sql");
    expect(pathFor("orders", "/marts/")).toBe("marts/orders.sql");
  });
});

describe("column tests", () => {
  const config = {
    tests: [{ "dbt_utils.expression_is_true": { expression: "amount >= 0" } }],
    columns: {
      status: [{ accepted_values: { values: ["placed", "shipped"] } }],
      id: ["unique", "not_null", "dbt_utils.not_constant", { relationships: { to: "ref('customers')", field: "id" } }, { custom_test: { x: 1 } }],
    },
  };

  it("reads each column's tests and keeps what it does not show", () => {
    expect(columnTestsOf(config)).toEqual([
      { column: "id", notNull: true, unique: true, acceptedValues: null, relationships: { to: "customers", field: "id" }, utils: ["dbt_utils.not_constant"], other: [{ custom_test: { x: 1 } }] },
      { column: "status", notNull: false, unique: false, acceptedValues: "placed, shipped", relationships: null, utils: [], other: [] },
    ]);
    expect(columnTestsOf(null)).toEqual([]);
  });

  it("writes them back as dbt reads them, model-level tests kept, blank columns dropped", () => {
    const rows = columnTestsOf(config);
    expect(withColumnTests(config, rows)).toEqual({
      tests: config.tests,
      columns: {
        id: ["not_null", "unique", { relationships: { to: "ref('customers')", field: "id" } }, "dbt_utils.not_constant", { custom_test: { x: 1 } }],
        status: [{ accepted_values: { values: ["placed", "shipped"] } }],
      },
    });
    expect(withColumnTests(null, [{ column: " ", notNull: true, unique: false, acceptedValues: null, relationships: null, utils: [], other: [] }])).toEqual({});
    expect(withColumnTests(null, [{ column: "email", notNull: false, unique: true, acceptedValues: "a, ,b", relationships: null, utils: [], other: [] }])).toEqual({
      columns: { email: ["unique", { accepted_values: { values: ["a", "b"] } }] },
    });
  });
});

describe("lineageOf", () => {
  it("names what a model reads and the models that read it", () => {
    const models = [
      { id: 1, name: "stg_orders", path: "stg_orders.sql", depends_on: ["source.datanika.raw.orders"] },
      { id: 2, name: "orders", path: "orders.sql", depends_on: ["model.datanika.stg_orders", "seed.datanika.countries"] },
      { id: 3, name: "report", path: "report.sql", depends_on: ["model.datanika.orders"] },
    ];
    const [stg, orders, report] = models;
    if (!stg || !orders || !report) throw new Error("fixtures");
    const lineage = lineageOf(models, orders);
    expect(lineage.upstream).toEqual([
      { uniqueId: "model.datanika.stg_orders", name: "stg_orders", model: stg },
      { uniqueId: "seed.datanika.countries", name: "countries", model: undefined },
    ]);
    expect(lineage.downstream).toEqual([report]);
    expect(lineageOf(models, stg).upstream).toEqual([{ uniqueId: "source.datanika.raw.orders", name: "raw.orders", model: undefined }]);
    expect(lineageOf(models, report).downstream).toEqual([]);
  });
});
