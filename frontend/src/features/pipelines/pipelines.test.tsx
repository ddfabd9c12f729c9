import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { brokenSqlite, catalog, connectionTypes, savedPostgres } from "@/test/connections";
import { problem, signedInAs } from "@/test/identity";
import { pipeline, run } from "@/test/pipelines";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

const restSource: Schemas["Connection"] = {
  ...brokenSqlite,
  id: 13,
  name: "Shop API",
  type: "rest_api",
  direction: "source",
  managed: false,
};

function useApi(pipelines: Schemas["Pipeline"][] = [pipeline()]) {
  server.use(
    http.get("/api/v1/connection-types", () => HttpResponse.json({ items: connectionTypes })),
    http.get("/api/v1/connections", () => HttpResponse.json({ items: [savedPostgres, brokenSqlite, restSource], next_cursor: null })),
    http.get("/api/v1/connections/:id/catalog", () => HttpResponse.json(catalog)),
    http.get("/api/v1/pipelines", () => HttpResponse.json({ items: pipelines, next_cursor: null })),
    http.get("/api/v1/pipelines/:id", ({ params }) => {
      const found = pipelines.find((p) => String(p.id) === params.id);
      return found ? HttpResponse.json(found) : problem(404, "No such pipeline.");
    }),
  );
}

/** Captures the JSON bodies of POST /pipelines and answers with `answer`. */
function capturePost(answer: (body: Record<string, unknown>) => Response) {
  const bodies: Record<string, unknown>[] = [];
  const keys: (string | null)[] = [];
  server.use(
    http.post("/api/v1/pipelines", async ({ request }) => {
      const body = (await request.json()) as Record<string, unknown>;
      bodies.push(body);
      keys.push(request.headers.get("Idempotency-Key"));
      return answer(body);
    }),
  );
  return { bodies, keys };
}

describe("pipelines list", () => {
  it("shows each pipeline's status, route and last run", async () => {
    useApi([pipeline(), pipeline({ id: 22, name: "Fresh", status: "draft", last_run: null })]);
    await renderApp("/pipelines");
    const table = await screen.findByRole("table", { name: "Pipelines" });
    const rows = within(table).getAllByRole("row");
    const orders = rows.find((row) => row.textContent.includes("Orders to warehouse"));
    const fresh = rows.find((row) => row.textContent.includes("Fresh"));
    if (!orders || !fresh) throw new Error("rows missing");
    expect(within(orders).getByRole("link", { name: "Orders to warehouse" })).toHaveAttribute("href", "/pipelines/21");
    expect(within(orders).getByText("Active")).toBeInTheDocument();
    expect(await within(orders).findAllByText("Warehouse")).toHaveLength(2);
    expect(within(orders).getByText(".orders_to_warehouse")).toBeInTheDocument();
    expect(within(orders).getByText("Succeeded")).toBeInTheDocument();
    expect(within(orders).getByText("1,234")).toBeInTheDocument();
    expect(within(orders).getByText("12.4 s")).toBeInTheDocument();
    expect(within(fresh).getByText("Draft")).toBeInTheDocument();
    expect(within(fresh).getByText("Never run")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "New pipeline" })).toHaveAttribute("href", "/pipelines/new");
  });

  it("has empty and error states and hides New from a viewer", async () => {
    useApi([]);
    server.use(...signedInAs("viewer"));
    const first = await renderApp("/pipelines");
    expect(await screen.findByText("No pipelines yet.")).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "New pipeline" })).not.toBeInTheDocument();
    first.unmount();

    server.use(http.get("/api/v1/pipelines", () => problem(500, "Database down.")));
    await renderApp("/pipelines");
    expect(await screen.findByText("Database down.")).toBeInTheDocument();
  });
});

async function toTables(user: Awaited<ReturnType<typeof renderApp>>["user"], name = "Orders") {
  await user.type(await screen.findByLabelText("Name"), name);
  const source = screen.getByLabelText("Source connection");
  // Only source-capable connections are offered.
  expect(within(source).getAllByRole("option").map((o) => o.textContent)).toEqual([
    "Choose…",
    "Warehouse (postgres)",
    "Legacy (sqlite)",
    "Shop API (rest_api)",
  ]);
  await user.selectOptions(source, "11");
  await user.click(screen.getByRole("button", { name: "Next" }));
  await screen.findByRole("list", { name: "Tables of public" });
}

describe("pipeline wizard", () => {
  it("creates an append pipeline over the tables picked with search and select-all", async () => {
    useApi();
    const { bodies, keys } = capturePost(() => HttpResponse.json(pipeline({ id: 30, name: "Orders" }), { status: 201 }));
    const { user, router } = await renderApp("/pipelines/new");
    await toTables(user);

    // Nothing picked: the step says so.
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByText("Choose at least one table.")).toBeInTheDocument();

    await user.type(screen.getByRole("searchbox", { name: "Search tables" }), "o");
    expect(screen.queryByRole("checkbox", { name: "reporting.daily_totals" })).toBeInTheDocument();
    await user.clear(screen.getByRole("searchbox", { name: "Search tables" }));
    await user.type(screen.getByRole("searchbox", { name: "Search tables" }), "public");
    expect(screen.queryByRole("checkbox", { name: "reporting.daily_totals" })).not.toBeInTheDocument();
    await user.click(screen.getByLabelText("Select all 2 tables shown"));
    expect(screen.getByRole("checkbox", { name: "public.customers" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "public.orders" })).toBeChecked();
    expect(screen.getByText("2 tables selected")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));

    // Destination: the schema defaults to the snake_case of the name.
    await user.selectOptions(await screen.findByLabelText("Destination connection"), "11");
    expect(screen.getByLabelText("Destination schema")).toHaveAttribute("placeholder", "orders");
    await user.click(screen.getByRole("button", { name: "Next" }));

    // Several tables: no incremental cursor.
    expect(await screen.findByText("Incremental loading needs exactly one table.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));

    const request = await screen.findByTestId("pipeline-request");
    expect(JSON.parse(request.textContent)).toMatchObject({
      name: "Orders",
      source_connection_id: 11,
      destination_connection_id: 11,
      config: { mode: "full_database", source_schema: "public", table_names: ["customers", "orders"], write_disposition: "append" },
    });
    await user.click(screen.getByRole("button", { name: "Create pipeline" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/pipelines/30");
    });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).not.toHaveProperty("destination_schema");
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("builds a single_table merge with the catalog's key and an incremental cursor", async () => {
    useApi();
    const { bodies } = capturePost(() => HttpResponse.json(pipeline({ id: 31 }), { status: 201 }));
    const { user } = await renderApp("/pipelines/new");
    await toTables(user, "Orders sync");
    await user.click(screen.getByRole("checkbox", { name: "public.orders" }));
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.selectOptions(await screen.findByLabelText("Destination connection"), "11");
    await user.type(screen.getByLabelText("Destination schema"), "raw_orders");
    await user.click(screen.getByRole("button", { name: "Next" }));

    await user.click(await screen.findByRole("radio", { name: "Merge" }));
    const keys = screen.getByRole("group", { name: "Primary key of public.orders" });
    expect(within(keys).getByRole("checkbox", { name: "order_id" })).toBeChecked();
    await user.click(screen.getByLabelText(/Load only new and changed rows/));
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByText("Choose the cursor column.")).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Cursor column"), "total");
    await user.type(screen.getByLabelText("Lag"), "5m");
    await user.selectOptions(screen.getByLabelText("New columns"), "freeze");
    await user.click(screen.getByRole("button", { name: "Add filter" }));
    const filter = screen.getByRole("group", { name: "Filter 1" });
    await user.selectOptions(within(filter).getByLabelText("Column"), "total");
    await user.selectOptions(within(filter).getByLabelText("Operator"), "gt");
    await user.type(within(filter).getByLabelText("Value"), "100");
    await user.click(screen.getByRole("button", { name: "Next" }));

    await screen.findByTestId("pipeline-request");
    await user.click(screen.getByRole("button", { name: "Create pipeline" }));
    await waitFor(() => {
      expect(bodies).toHaveLength(1);
    });
    expect(bodies[0]).toMatchObject({
      destination_schema: "raw_orders",
      config: {
        mode: "single_table",
        table: "public.orders",
        write_disposition: "merge",
        primary_key: "order_id",
        incremental: { cursor_path: "total", row_order: "asc", lag: "5m" },
        schema_contract: { tables: "evolve", columns: "freeze", data_type: "evolve" },
        filters: [{ column: "total", op: "gt", value: 100 }],
      },
    });
  });

  it("round-trips the config through the raw JSON toggle", async () => {
    useApi();
    const { bodies } = capturePost(() => HttpResponse.json(pipeline({ id: 32 }), { status: 201 }));
    const { user } = await renderApp("/pipelines/new");
    await toTables(user);
    await user.click(screen.getByRole("checkbox", { name: "public.customers" }));
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.selectOptions(await screen.findByLabelText("Destination connection"), "11");
    await user.click(screen.getByRole("button", { name: "Next" }));

    await user.click(await screen.findByLabelText("Edit the whole config as JSON"));
    const editor = screen.getByLabelText("Config (JSON)");
    const shown = JSON.parse((editor as HTMLTextAreaElement).value) as Record<string, unknown>;
    expect(shown).toMatchObject({ mode: "full_database", table_names: ["customers"], write_disposition: "append" });

    // Broken JSON keeps the raw view and says why.
    await user.clear(editor);
    await user.type(editor, "{{not json");
    await user.click(screen.getByLabelText("Edit the whole config as JSON"));
    expect(await screen.findByText(/This is not valid JSON/)).toBeInTheDocument();
    expect(screen.getByLabelText("Config (JSON)")).toBeInTheDocument();

    // A valid edit flows back into the form.
    const edited = { ...shown, write_disposition: "replace", verify: "checksum", schema_contract: "freeze" };
    await user.clear(editor);
    await user.click(editor);
    await user.paste(JSON.stringify(edited));
    await user.click(screen.getByLabelText("Edit the whole config as JSON"));
    expect(await screen.findByRole("radio", { name: "Replace" })).toBeChecked();
    expect(screen.getByLabelText("Verification")).toHaveValue("checksum");
    expect(screen.getByLabelText("Changed data types")).toHaveValue("freeze");

    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.click(await screen.findByRole("button", { name: "Create pipeline" }));
    await waitFor(() => {
      expect(bodies).toHaveLength(1);
    });
    expect(bodies[0]?.config).toEqual({
      ...shown,
      write_disposition: "replace",
      verify: "checksum",
      schema_contract: { tables: "freeze", columns: "freeze", data_type: "freeze" },
    });
  });

  it("shows the API's 422 field errors at their fields and goes to their step", async () => {
    useApi();
    capturePost(() =>
      problem(422, "The pipeline is not valid.", {
        errors: [
          { field: "config.incremental.cursor_path", message: "names no column of public.orders" },
          { field: "config.filters[0].value", message: "must be a number" },
          { field: "name", message: "is already taken" },
        ],
      }),
    );
    const { user } = await renderApp("/pipelines/new");
    await toTables(user);
    await user.click(screen.getByRole("checkbox", { name: "public.orders" }));
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.selectOptions(await screen.findByLabelText("Destination connection"), "11");
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.click(await screen.findByLabelText(/Load only new and changed rows/));
    await user.selectOptions(screen.getByLabelText("Cursor column"), "total");
    await user.click(screen.getByRole("button", { name: "Add filter" }));
    const filter = screen.getByRole("group", { name: "Filter 1" });
    await user.selectOptions(within(filter).getByLabelText("Column"), "customer_email");
    await user.type(within(filter).getByLabelText("Value"), "x");
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.click(await screen.findByRole("button", { name: "Create pipeline" }));

    // The first step with an error is the source step (the name).
    const name = await screen.findByLabelText("Name");
    await waitFor(() => {
      expect(name).toHaveAccessibleDescription("is already taken");
    });
    expect(screen.getByRole("button", { name: /Loading.*has errors/ })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: /Loading/ }));
    expect(await screen.findByLabelText("Cursor column")).toHaveAccessibleDescription("names no column of public.orders");
    const row = screen.getByRole("group", { name: "Filter 1" });
    expect(within(row).getByLabelText("Value")).toHaveAccessibleDescription("must be a number");
  });

  it("edits a stored pipeline with its config and keeps the schema fixed", async () => {
    const stored = pipeline({
      config: {
        mode: "single_table",
        table: "public.orders",
        source_schema: "public",
        write_disposition: "merge",
        primary_key: ["order_id"],
        batch_size: 1000,
        schema_contract: { tables: "evolve", columns: "evolve", data_type: "freeze" },
        verify: "count",
        naming: "snake_case",
      },
    });
    useApi([stored]);
    let patch: Record<string, unknown> | null = null;
    server.use(
      http.patch("/api/v1/pipelines/:id", async ({ request }) => {
        patch = (await request.json()) as Record<string, unknown>;
        return HttpResponse.json(stored);
      }),
    );
    const { user, router } = await renderApp("/pipelines/21/edit");
    expect(await screen.findByLabelText("Name")).toHaveValue("Orders to warehouse");
    await user.click(screen.getByRole("button", { name: /Destination/ }));
    expect(await screen.findByLabelText("Destination schema")).toBeDisabled();
    expect(screen.getByLabelText("Destination schema")).toHaveValue("orders_to_warehouse");
    await user.click(screen.getByRole("button", { name: /Loading/ }));
    expect(await screen.findByRole("radio", { name: "Merge" })).toBeChecked();
    expect(screen.getByLabelText("Batch size")).toHaveValue("1000");
    await user.click(screen.getByRole("button", { name: /Review/ }));
    await user.click(await screen.findByRole("button", { name: "Save changes" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/pipelines/21");
    });
    expect(patch).not.toHaveProperty("destination_schema");
    expect(patch).toMatchObject({
      name: "Orders to warehouse",
      config: { mode: "single_table", table: "public.orders", primary_key: "order_id", batch_size: 1000 },
    });
  });
});

describe("pipeline page", () => {
  it("runs the pipeline and opens the new run", async () => {
    useApi();
    let idem: string | null = null;
    server.use(
      http.post("/api/v1/pipelines/:id/runs", ({ request }) => {
        idem = request.headers.get("Idempotency-Key");
        return HttpResponse.json(run({ id: 777, status: "queued", stats: {} }), { status: 202 });
      }),
      http.get("/api/v1/runs/:id", () => HttpResponse.json(run({ id: 777, status: "queued", stats: {} }))),
      http.get("/api/v1/runs/:id/logs/stream", () => new HttpResponse("event: end\ndata: {}\n\n", { headers: { "Content-Type": "text/event-stream" } })),
    );
    const { user, router } = await renderApp("/pipelines/21");
    await user.click(await screen.findByRole("button", { name: "Run now" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/runs/777");
    });
    expect(idem).not.toBeNull();
  });

  it("says a run is already active and links to it on a 409", async () => {
    useApi();
    server.use(
      http.post("/api/v1/pipelines/:id/runs", () => problem(409, "A run is already active.", { active_run_id: 640 })),
    );
    const { user } = await renderApp("/pipelines/21");
    await user.click(await screen.findByRole("button", { name: "Run now" }));
    expect(await screen.findByText("This pipeline is already running.")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Open run #640" })).toHaveAttribute("href", "/runs/640");
  });

  it("lists this pipeline's runs and pauses, and deletes after confirmation", async () => {
    useApi();
    const queries: string[] = [];
    let status: unknown = null;
    let deleted = false;
    server.use(
      http.get("/api/v1/runs", ({ request }) => {
        queries.push(new URL(request.url).search);
        return HttpResponse.json({ items: [run(), run({ id: 502, status: "failed", error: "relation does not exist" })], next_cursor: null });
      }),
      http.patch("/api/v1/pipelines/:id", async ({ request }) => {
        status = ((await request.json()) as { status: unknown }).status;
        return HttpResponse.json(pipeline({ status: "paused" }));
      }),
      http.get("/api/v1/pipelines/:id", () => HttpResponse.json(pipeline({ status: status === "paused" ? "paused" : "active" }))),
      http.delete("/api/v1/pipelines/:id", () => {
        deleted = true;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user, router } = await renderApp("/pipelines/21");
    const runs = await screen.findByRole("table", { name: "Runs" });
    expect(within(runs).getByRole("link", { name: "Run #502" })).toHaveAttribute("href", "/runs/502");
    expect(within(runs).getByText("relation does not exist")).toBeInTheDocument();
    expect(queries[0]).toContain("target_type=pipeline");
    expect(queries[0]).toContain("target_id=21");

    await user.click(screen.getByRole("button", { name: "Pause" }));
    await waitFor(() => {
      expect(status).toBe("paused");
    });
    expect(await screen.findByRole("button", { name: "Activate" })).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Delete" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(deleted).toBe(false);
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/pipelines");
    });
    expect(deleted).toBe(true);
  });
});
