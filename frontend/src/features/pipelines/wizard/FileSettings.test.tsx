import { screen, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { brokenSqlite, catalog, connectionTypes, savedPostgres, sqliteType } from "@/test/connections";
import { pipeline } from "@/test/pipelines";
import { mockPipelinesApi } from "@/test/pipelines-api";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

const fileSource: Schemas["Connection"] = { ...brokenSqlite, id: 21, name: "Orders CSV", type: "file", config: { file_id: 7, format: "csv" } };
const s3Source: Schemas["Connection"] = { ...brokenSqlite, id: 22, name: "Landing", type: "s3", config: { bucket: "landing", prefix: "raw/", format: "csv" } };

/** The file and s3 types, sources only (their config schemas do not matter to the wizard). */
const fileTypes: Schemas["ConnectionType"][] = [
  { ...sqliteType, name: "file", label: "Uploaded file" },
  { ...sqliteType, name: "s3", label: "Amazon S3" },
];

const column = (name: string, type: string): Schemas["CatalogColumn"] => ({ name, type, nullable: true, primary_key: false });

/** The catalogs the server gives: the upload as one table, the S3 prefix as one table per file. */
const catalogs: Record<string, Schemas["Catalog"]> = {
  "21": {
    ...catalog,
    connection_id: 21,
    schemas: [{ name: "file", tables: [{ name: "file_7", kind: "table", columns: [column("id", "integer"), column("zip", "integer"), column("ordered_on", "date")] }] }],
  },
  "22": {
    ...catalog,
    connection_id: 22,
    schemas: [
      {
        name: "landing",
        tables: [
          { name: "orders_2024", kind: "table", columns: [column("id", "integer"), column("amount", "decimal")] },
          { name: "orders_2025", kind: "table", columns: [column("id", "integer"), column("amount", "decimal")] },
        ],
      },
    ],
  },
};

function mockFileSources() {
  mockPipelinesApi([pipeline()]);
  server.use(
    http.get("/api/v1/connection-types", () => HttpResponse.json({ items: [...connectionTypes, ...fileTypes] })),
    http.get("/api/v1/connections", () => HttpResponse.json({ items: [savedPostgres, fileSource, s3Source], next_cursor: null })),
    http.get("/api/v1/connections/:id/catalog", ({ params }) => HttpResponse.json(catalogs[String(params.id)] ?? catalog)),
  );
}

async function toTables(user: Awaited<ReturnType<typeof renderApp>>["user"], sourceId: string) {
  await user.type(await screen.findByLabelText("Name"), "Orders");
  await user.selectOptions(screen.getByLabelText("Source connection"), sourceId);
  await user.click(screen.getByRole("button", { name: "Next" }));
}

/** Walks destination and loading with their defaults to the review and returns the request's config. */
async function reviewConfig(user: Awaited<ReturnType<typeof renderApp>>["user"]): Promise<Record<string, unknown>> {
  await user.click(screen.getByRole("button", { name: "Next" }));
  await user.selectOptions(await screen.findByLabelText("Destination connection"), "11");
  await user.click(screen.getByRole("button", { name: "Next" }));
  await user.click(await screen.findByRole("button", { name: "Next" }));
  const request = await screen.findByTestId("pipeline-request");
  return (JSON.parse(request.textContent) as { config: Record<string, unknown> }).config;
}

describe("pipeline wizard: file sources", () => {
  it("shows an upload's detected columns and types and sends type and dialect overrides in config.files", async () => {
    mockFileSources();
    const { user } = await renderApp("/pipelines/new");
    await toTables(user, "21");

    await user.click(await screen.findByRole("checkbox", { name: "file.file_7" }));
    const columns = screen.getByRole("table", { name: "Columns" });
    const rows = within(columns).getAllByRole("row").slice(1).map((row) => within(row).getAllByRole("cell").slice(0, 2).map((c) => c.textContent));
    expect(rows).toEqual([
      ["id", "integer"],
      ["zip", "integer"],
      ["ordered_on", "date"],
    ]);
    // zip codes keep their leading zeros: load as text; set back to detected, then to text again.
    const zip = screen.getByRole("combobox", { name: "Type of zip" });
    await user.selectOptions(zip, "date");
    await user.selectOptions(zip, "");
    await user.selectOptions(zip, "text");
    await user.selectOptions(screen.getByLabelText("Delimiter"), ";");
    await user.selectOptions(screen.getByLabelText("Header line"), "no");
    await user.selectOptions(screen.getByLabelText("Encoding"), "latin1");
    await user.type(screen.getByLabelText("Null marker"), "NA");

    expect(await reviewConfig(user)).toMatchObject({
      mode: "full_database",
      source_schema: "file",
      table_names: ["file_7"],
      files: { columns: { zip: "text" }, delimiter: ";", header: false, encoding: "latin1", null_marker: "NA" },
    });
  });

  it("sends no config.files when everything is left to detection", async () => {
    mockFileSources();
    const { user } = await renderApp("/pipelines/new");
    await toTables(user, "21");
    await user.click(await screen.findByRole("checkbox", { name: "file.file_7" }));
    expect(await reviewConfig(user)).not.toHaveProperty("files");
  });

  it("loads an S3 prefix as one named table with a glob, the file column and allow_empty", async () => {
    mockFileSources();
    const { user } = await renderApp("/pipelines/new");
    await toTables(user, "22");

    // No table name: the step says so.
    await user.click(await screen.findByRole("button", { name: "Next" }));
    expect(await screen.findByText("Choose at least one table.")).toBeInTheDocument();

    await user.type(screen.getByLabelText("Table name"), "orders");
    await user.type(screen.getByLabelText("Objects to load (glob)"), "2024/**/*.csv");
    await user.type(screen.getByLabelText("Column naming each row's object"), "source_key");
    await user.click(screen.getByLabelText("A prefix matching no object loads nothing instead of failing"));
    // The columns are the first file's.
    expect(within(screen.getByRole("table", { name: "Columns" })).getByText("amount")).toBeInTheDocument();

    const config = await reviewConfig(user);
    expect(config).toMatchObject({ mode: "full_database", table_names: ["orders"], files: { glob: "2024/**/*.csv", file_column: "source_key", allow_empty: true } });
    expect(config).not.toHaveProperty("source_schema");
  });
});

describe("pipeline wizard: REST API sources", () => {
  it("shows each picked resource's columns inferred from its first page", async () => {
    mockPipelinesApi([pipeline()]);
    server.use(
      http.get("/api/v1/connections/:id/catalog", () =>
        HttpResponse.json({
          ...catalog,
          connection_id: 13,
          schemas: [
            {
              name: "api",
              tables: [
                { name: "posts", kind: "table", columns: [{ ...column("id", "integer"), primary_key: true }, column("title", "string"), column("tags", "json")] },
                { name: "comments", kind: "table", columns: [] },
              ],
            },
          ],
        }),
      ),
    );
    const { user } = await renderApp("/pipelines/new");
    await toTables(user, "13");
    await user.click(await screen.findByRole("checkbox", { name: "api.posts" }));
    const posts = screen.getByRole("list", { name: "Columns of posts (from its first page)" });
    expect(within(posts).getAllByRole("listitem").map((item) => item.textContent)).toEqual(["id integerkey", "title string", "tags json"]);
    await user.click(screen.getByRole("checkbox", { name: "api.comments" }));
    expect(screen.getByText("The first page held no records.")).toBeInTheDocument();
    // A REST source sends no config.files.
    expect(await reviewConfig(user)).toMatchObject({ mode: "full_database", source_schema: "api", table_names: ["posts", "comments"] });
  });
});
