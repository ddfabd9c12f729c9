import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { problem, signedInAs } from "@/test/identity";
import { pipeline, run } from "@/test/pipelines";
import { mockPipelinesApi } from "@/test/pipelines-api";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

describe("pipelines list", () => {
  it("shows each pipeline's status, route and last run", async () => {
    mockPipelinesApi([pipeline(), pipeline({ id: 22, name: "Fresh", status: "draft", last_run: null })]);
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
    mockPipelinesApi([]);
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

describe("pipeline page", () => {
  it("runs the pipeline and opens the new run", async () => {
    mockPipelinesApi();
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
    mockPipelinesApi();
    server.use(
      http.post("/api/v1/pipelines/:id/runs", () => problem(409, "A run is already active.", { active_run_id: 640 })),
    );
    const { user } = await renderApp("/pipelines/21");
    await user.click(await screen.findByRole("button", { name: "Run now" }));
    expect(await screen.findByText("This pipeline is already running.")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Open run #640" })).toHaveAttribute("href", "/runs/640");
  });

  it("lists this pipeline's runs and pauses, and deletes after confirmation", async () => {
    mockPipelinesApi();
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
