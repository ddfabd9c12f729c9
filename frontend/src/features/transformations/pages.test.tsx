import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import { parseTableNames } from "./project";

function model(id: number, name: string, path: string): Schemas["Transformation"] {
  return {
    id,
    name,
    path,
    description: "",
    sql_body: "select 1",
    materialization: "view",
    schema_name: null,
    destination_connection_id: 1,
    tags: [],
    incremental_config: null,
    snapshot_config: null,
    tests_config: null,
    depends_on: [],
    config: {},
    created_at: "2025-03-04T05:06:06Z",
    updated_at: "2025-03-04T05:06:06Z",
  };
}

const counts = (n: number) => ({ transformations: n, macros: 0, seeds: 0, sources: 0, tests: 0, snapshots: 0 });

describe("transformations list", () => {
  it("shows the models as a tree by path, searches them and shows an import's report", async () => {
    let onConflict: string | null = null;
    server.use(
      http.get("/api/v1/transformations", () =>
        HttpResponse.json({ items: [model(1, "stg_orders", "staging/stg_orders.sql"), model(2, "orders", "marts/orders.sql")], next_cursor: null }),
      ),
      http.post("/api/v1/transformations/import", ({ request }) => {
        onConflict = new URL(request.url).searchParams.get("on_conflict");
        return HttpResponse.json({ created: counts(3), updated: counts(0), skipped: counts(1), warnings: ["singular test tests/x.sql is not kept"] });
      }),
    );
    const { user } = await renderApp("/transformations");
    const tree = await screen.findByRole("list", { name: "Models" });
    expect(within(tree).getByText("staging")).toBeInTheDocument();
    expect(within(tree).getByRole("link", { name: /stg_orders/ })).toHaveAttribute("href", "/transformations/1");
    await user.type(screen.getByRole("searchbox", { name: "Search models" }), "marts");
    expect(within(tree).queryByText("staging")).not.toBeInTheDocument();
    expect(within(tree).getByRole("link", { name: /orders/ })).toHaveAttribute("href", "/transformations/2");

    await user.upload(screen.getByLabelText("Import a dbt project (zip)"), new File(["zip"], "project.zip", { type: "application/zip" }));
    await user.click(screen.getByLabelText("Overwrite what exists"));
    await user.click(screen.getByRole("button", { name: "Import" }));
    const report = await screen.findByTestId("import-report");
    expect(within(report).getByText("singular test tests/x.sql is not kept")).toBeInTheDocument();
    const modelsRow = within(report).getByRole("row", { name: /Models/ });
    expect(modelsRow.textContent).toBe("Models301");
    expect(onConflict).toBe("overwrite");
  });
});

describe("project import and export", () => {
  it("imports into and exports the project of the destination picked", async () => {
    const asked: string[] = [];
    server.use(
      http.get("/api/v1/transformations", () => HttpResponse.json({ items: [], next_cursor: null })),
      http.get("/api/v1/connections", () =>
        HttpResponse.json({
          items: [
            { id: 1, name: "Warehouse", type: "postgres", direction: "both", config: {}, managed: true, created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z" },
            { id: 7, name: "Marts DB", type: "mysql", direction: "destination", config: {}, managed: false, created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z" },
            { id: 8, name: "Shop", type: "postgres", direction: "source", config: {}, managed: false, created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-01T00:00:00Z" },
          ],
          next_cursor: null,
        }),
      ),
      http.post("/api/v1/transformations/import", ({ request }) => {
        asked.push(`import ${new URL(request.url).searchParams.get("destination_connection_id") ?? "default"}`);
        return HttpResponse.json({ created: counts(1), updated: counts(0), skipped: counts(0), warnings: [] });
      }),
      http.get("/api/v1/transformations/export", ({ request }) => {
        asked.push(`export ${new URL(request.url).searchParams.get("destination_connection_id") ?? "default"}`);
        return new HttpResponse(new Uint8Array([80, 75]), { headers: { "Content-Type": "application/zip" } });
      }),
    );
    URL.createObjectURL = () => "blob:project";
    URL.revokeObjectURL = () => undefined;
    const { user } = await renderApp("/transformations");
    const project = screen.getByLabelText("Project of");
    // Source connections and the Warehouse (the default) are not listed twice.
    await waitFor(() => {
      expect(within(project).getAllByRole("option").map((o) => o.textContent)).toEqual(["The org's Warehouse", "Marts DB"]);
    });
    await user.click(screen.getByRole("button", { name: "Export" }));
    await user.selectOptions(project, "Marts DB");
    await user.click(screen.getByRole("button", { name: "Export" }));
    await user.upload(screen.getByLabelText("Import a dbt project (zip)"), new File(["zip"], "project.zip", { type: "application/zip" }));
    await user.click(screen.getByRole("button", { name: "Import" }));
    await screen.findByTestId("import-report");
    expect(asked).toEqual(["export default", "export 7", "import 7"]);
    expect(screen.queryByText("The project could not be exported.")).not.toBeInTheDocument();
  });
});

describe("seeds and sources", () => {
  it("makes a seed from an uploaded CSV file", async () => {
    let body: unknown = null;
    server.use(
      http.get("/api/v1/seeds", () => HttpResponse.json({ items: [], next_cursor: null })),
      http.get("/api/v1/files", () =>
        HttpResponse.json({
          items: [
            { id: 5, name: "countries.csv", size: 10, sha256: "x", format: "csv", compression: "none", detected_columns: [], created_at: "2025-03-04T05:06:06Z" },
            { id: 6, name: "events.jsonl", size: 10, sha256: "y", format: "jsonl", compression: "none", detected_columns: [], created_at: "2025-03-04T05:06:06Z" },
          ],
          next_cursor: null,
        }),
      ),
      http.post("/api/v1/seeds", async ({ request }) => {
        body = await request.json();
        return HttpResponse.json({}, { status: 201 });
      }),
    );
    const { user } = await renderApp("/transformations/seeds");
    expect(await screen.findByText("No seeds yet.")).toBeInTheDocument();
    const select = screen.getByLabelText("CSV file");
    await waitFor(() => {
      expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual(["Pick a file…", "countries.csv"]);
    });
    await user.selectOptions(select, "5");
    await user.click(screen.getByRole("button", { name: "Create seed" }));
    await waitFor(() => {
      expect(body).toEqual({ file_id: 5 });
    });
  });

  it("reads table names from a typed list", () => {
    expect(parseTableNames(" orders, customers\npayments orders ")).toEqual(["orders", "customers", "payments"]);
    expect(parseTableNames(" , ")).toEqual([]);
  });
});
