import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { pipeline, run } from "@/test/pipelines";
import { mockPipelinesApi } from "@/test/pipelines-api";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

const dag: Schemas["Dag"] = {
  nodes: [
    { key: "pipeline:21", type: "pipeline", id: 21, name: "Orders to warehouse", last_run: { id: 501, status: "success", finished_at: "2026-03-01T00:00:00Z" } },
    { key: "transformation:5", type: "transformation", id: 5, name: "stg_orders", last_run: null },
    { key: "job:31", type: "job", id: 31, name: "nightly", last_run: { id: 600, status: "failed", finished_at: "2026-03-01T00:00:00Z" } },
  ],
  edges: [
    { id: null, upstream: "pipeline:21", downstream: "transformation:5", inferred: true },
    { id: 8, upstream: "pipeline:21", downstream: "job:31", inferred: false },
  ],
};

describe("a node's page", () => {
  it("shows the node's schedules and its neighbours in the DAG, and runs it with downstream as a DAG run", async () => {
    const scheduleQueries: URLSearchParams[] = [];
    const triggers: unknown[] = [];
    mockPipelinesApi([pipeline()]);
    server.use(
      http.get("/api/v1/runs", () => HttpResponse.json({ items: [], next_cursor: null })),
      http.get("/api/v1/dag", () => HttpResponse.json(dag)),
      http.get("/api/v1/schedules", ({ request }) => {
        scheduleQueries.push(new URL(request.url).searchParams);
        return HttpResponse.json({
          items: [
            {
              id: 3,
              target_type: "pipeline",
              target_id: 21,
              target_name: "Orders to warehouse",
              cron: "*/15 * * * *",
              timezone: "UTC",
              is_active: false,
              downstream: true,
              misfire_grace_seconds: 300,
              next_fire_at: null,
              last_fire_at: null,
              description: "Every 15 minutes",
              created_at: "2026-03-01T00:00:00Z",
              updated_at: "2026-03-01T00:00:00Z",
            },
          ],
          next_cursor: null,
        });
      }),
      http.post("/api/v1/pipelines/:id/runs", async ({ request }) => {
        triggers.push(await request.json());
        return HttpResponse.json(run({ id: 700, status: "queued", dag_run_id: 12 }), { status: 202 });
      }),
      http.post("/api/v1/schedules/preview", () => HttpResponse.json({ description: "At 02:00", next: [] })),
      http.get("/api/v1/dag-runs/:id", () =>
        HttpResponse.json({ id: 12, root: "pipeline:21", status: "running", trigger: "manual", nodes: [], created_at: "2026-03-01T00:00:00Z", finished_at: null }),
      ),
    );
    const { user, router } = await renderApp("/pipelines/21");
    const schedules = await screen.findByRole("table", { name: "Schedules" });
    expect(within(schedules).getByText("*/15 * * * *")).toBeInTheDocument();
    expect(within(schedules).getByText("Paused")).toBeInTheDocument();
    expect(scheduleQueries.at(-1)?.get("target_type")).toBe("pipeline");
    expect(scheduleQueries.at(-1)?.get("target_id")).toBe("21");
    const downstream = await screen.findByRole("list", { name: "Downstream" });
    expect(within(downstream).getByRole("link", { name: "stg_orders" })).toHaveAttribute("href", "/transformations/5");
    expect(within(downstream).getByText("inferred from ref()/source()")).toBeInTheDocument();
    expect(within(downstream).getByRole("link", { name: "nightly" })).toHaveAttribute("href", "/jobs/31");
    expect(within(screen.getByRole("list", { name: "Upstream" })).queryAllByRole("listitem")).toHaveLength(0);

    // The Schedule button opens the form with this node chosen.
    await user.click(screen.getByRole("button", { name: "Schedule" }));
    const form = await screen.findByRole("form", { name: "Schedule" });
    await waitFor(() => {
      expect(within(form).getByLabelText("Node")).toHaveValue("pipeline:21");
    });
    await user.click(within(form).getByRole("button", { name: "Cancel" }));

    await user.click(screen.getByRole("button", { name: "Run with downstream" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/dag");
    });
    expect(router.state.location.search).toEqual({ dag_run: 12 });
    expect(triggers).toEqual([{ full_refresh: false, downstream: true }]);
  });
});
