import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { brokenSqlite, catalog, connectionTypes, savedPostgres, sqliteType } from "@/test/connections";
import { problem } from "@/test/identity";
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

/** The objects under the S3 source's prefix. */
const objects: Schemas["StorageObject"][] = [
  { key: "raw/2024/01/orders.csv", size: 12, etag: "a1", last_modified: "2024-02-01T00:00:00Z" },
  { key: "raw/2024/02/orders.csv", size: 2048, etag: "b2", last_modified: "2024-03-01T00:00:00Z" },
  { key: "raw/2025/01/orders.csv", size: 1024, etag: "c3", last_modified: "2025-02-01T00:00:00Z" },
];

/** The globs the objects were listed with, in order. */
let globs: string[] = [];

function mockFileSources() {
  globs = [];
  mockPipelinesApi([pipeline()]);
  server.use(
    http.get("/api/v1/connection-types", () => HttpResponse.json({ items: [...connectionTypes, ...fileTypes] })),
    http.get("/api/v1/connections", () => HttpResponse.json({ items: [savedPostgres, fileSource, s3Source], next_cursor: null })),
    http.get("/api/v1/connections/:id/catalog", ({ params }) => HttpResponse.json(catalogs[String(params.id)] ?? catalog)),
    // The server's matching, as far as these tests need it.
    http.get("/api/v1/connections/22/objects", ({ request }) => {
      const glob = new URL(request.url).searchParams.get("glob") ?? "";
      globs.push(glob);
      if (glob.includes("[")) {
        return HttpResponse.json(
          { title: "Unprocessable Entity", status: 422, detail: "The glob is not valid.", code: "validation_failed", errors: [{ field: "glob", message: "is not valid: an unclosed [" }] },
          { status: 422, headers: { "Content-Type": "application/problem+json" } },
        );
      }
      const prefix = glob.split("*")[0] ?? "";
      return HttpResponse.json({ objects: objects.filter((o) => o.key.startsWith(`raw/${prefix}`)), truncated: false });
    }),
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
    // Every object of the prefix at first, then those the glob picks, listed once typing rests.
    const matching = await screen.findByRole("list", { name: "Objects matching the glob" });
    expect(within(matching).getAllByRole("listitem").map((item) => item.textContent)).toEqual([
      "raw/2024/01/orders.csv12 B",
      "raw/2024/02/orders.csv2 KB",
      "raw/2025/01/orders.csv1 KB",
    ]);
    await user.type(screen.getByLabelText("Objects to load (glob)"), "2024/**/*.csv");
    await waitFor(() => {
      expect(within(screen.getByRole("list", { name: "Objects matching the glob" })).getAllByRole("listitem")).toHaveLength(2);
    });
    expect(globs).toEqual(["", "2024/**/*.csv"]);
    await user.type(screen.getByLabelText("Column naming each row's object"), "source_key");
    await user.click(screen.getByLabelText("A prefix matching no object loads nothing instead of failing"));
    // The columns are the first file's.
    expect(within(screen.getByRole("table", { name: "Columns" })).getByText("amount")).toBeInTheDocument();

    const config = await reviewConfig(user);
    expect(config).toMatchObject({ mode: "full_database", table_names: ["orders"], files: { glob: "2024/**/*.csv", file_column: "source_key", allow_empty: true } });
    expect(config).not.toHaveProperty("source_schema");
  });

  it("says plainly when no object matches the glob, and why a glob is refused", async () => {
    mockFileSources();
    const { user } = await renderApp("/pipelines/new");
    await toTables(user, "22");
    await screen.findByRole("list", { name: "Objects matching the glob" });
    await user.type(screen.getByLabelText("Objects to load (glob)"), "2023/*.csv");
    expect(await screen.findByText("No objects match.")).toBeInTheDocument();
    expect(screen.queryByRole("list", { name: "Objects matching the glob" })).not.toBeInTheDocument();
    await user.clear(screen.getByLabelText("Objects to load (glob)"));
    await user.type(screen.getByLabelText("Objects to load (glob)"), "2024/[[ab");
    expect(await screen.findByText("The glob is not valid: an unclosed [")).toBeInTheDocument();
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
    const previews: Record<string, unknown>[] = [];
    server.use(
      http.post("/api/v1/connections/13/rest-preview", async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        previews.push(body);
        if (body.resource === "comments") return HttpResponse.json({ table: "comments", columns: [], rows: [], truncated: false, child_tables: [] });
        return HttpResponse.json({
          table: "posts",
          columns: [
            { name: "id", type: "int64", primary_key: true },
            { name: "title", type: "text", primary_key: false },
            { name: "tags", type: "json", primary_key: false },
          ],
          rows: [
            [1, "Hello", '["a"]'],
            [2, "World", null],
          ],
          truncated: true,
          child_tables: [],
        });
      }),
    );
    const { user } = await renderApp("/pipelines/new");
    await toTables(user, "13");
    await user.click(await screen.findByRole("checkbox", { name: "api.posts" }));
    // The columns and rows the load makes of the first page, once the server has read it.
    const rows = await screen.findByRole("table", { name: "First page of posts" });
    expect(within(rows).getAllByRole("row").map((row) => within(row).queryAllByRole("cell").map((c) => c.textContent))).toEqual([
      [],
      ["1", "Hello", '["a"]'],
      ["2", "World", ""],
    ]);
    expect(screen.getByText("The first 2 rows of the page are shown.")).toBeInTheDocument();
    const posts = screen.getByRole("list", { name: "Columns of posts (from its first page)" });
    expect(within(posts).getAllByRole("listitem").map((item) => item.textContent)).toEqual(["id int64key", "title text", "tags json"]);
    expect(previews[0]).toEqual({ resource: "posts", config: { naming: "snake_case" }, limit: 20 });
    await user.click(screen.getByRole("checkbox", { name: "api.comments" }));
    expect(await screen.findByText("The first page held no records.")).toBeInTheDocument();
    expect(screen.queryByRole("table", { name: "First page of comments" })).not.toBeInTheDocument();
    // A REST source sends no config.files.
    expect(await reviewConfig(user)).toMatchObject({ mode: "full_database", source_schema: "api", table_names: ["posts", "comments"] });
  });

  it("says why a resource's first page could not be read and keeps the catalog's columns", async () => {
    mockPipelinesApi([pipeline()]);
    server.use(
      http.get("/api/v1/connections/:id/catalog", () =>
        HttpResponse.json({ ...catalog, connection_id: 13, schemas: [{ name: "api", tables: [{ name: "posts", kind: "table", columns: [column("id", "integer")] }] }] }),
      ),
      http.post("/api/v1/connections/13/rest-preview", () => problem(409, "The resource could not be previewed: GET /posts answered 401 Unauthorized")),
    );
    const { user } = await renderApp("/pipelines/new");
    await toTables(user, "13");
    await user.click(await screen.findByRole("checkbox", { name: "api.posts" }));
    expect(await screen.findByText("The first page could not be read")).toBeInTheDocument();
    expect(screen.getByText("The resource could not be previewed: GET /posts answered 401 Unauthorized")).toBeInTheDocument();
    const posts = screen.getByRole("list", { name: "Columns of posts (from its first page)" });
    expect(within(posts).getAllByRole("listitem").map((item) => item.textContent)).toEqual(["id integer"]);
    expect(screen.queryByRole("table", { name: "First page of posts" })).not.toBeInTheDocument();
  });
});
