import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { problem, signedInAs } from "@/test/identity";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

const dag: Schemas["Dag"] = {
  nodes: [
    { key: "pipeline:21", type: "pipeline", id: 21, name: "Orders", last_run: { id: 501, status: "success", finished_at: "2026-03-01T00:00:00Z" } },
    { key: "transformation:5", type: "transformation", id: 5, name: "stg_orders", last_run: { id: 502, status: "failed", finished_at: "2026-03-01T00:00:00Z" } },
    { key: "job:31", type: "job", id: 31, name: "nightly", last_run: null },
  ],
  edges: [
    { id: null, upstream: "pipeline:21", downstream: "transformation:5", inferred: true },
    { id: 8, upstream: "transformation:5", downstream: "job:31", inferred: false },
  ],
};

function dagRun(statuses: Schemas["DagRunNode"]["status"][], status: Schemas["DagRun"]["status"]): Schemas["DagRun"] {
  const keys = ["pipeline:21", "transformation:5", "job:31"] as const;
  return {
    id: 12,
    root: "pipeline:21",
    status,
    trigger: "manual",
    nodes: keys.map((key, i) => ({
      key,
      type: key.split(":")[0] as Schemas["NodeType"],
      id: Number(key.split(":")[1]),
      name: dag.nodes[i]?.name ?? key,
      upstreams: i === 0 ? [] : [keys[i - 1] ?? ""],
      status: statuses[i] ?? "pending",
      run_id: null,
    })),
    created_at: "2026-03-01T00:00:00Z",
    finished_at: null,
  };
}

const node = (key: string) => document.querySelector(`[data-node-key="${key}"][data-status]`);

describe("DAG page", () => {
  it("draws every node coloured by its last run, inferred edges dashed apart from declared ones, and a legend", async () => {
    server.use(http.get("/api/v1/dag", () => HttpResponse.json(dag)));
    await renderApp("/dag");
    expect(await screen.findByRole("button", { name: "Orders (Pipeline, Succeeded)" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "stg_orders (Transformation, Failed)" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "nightly (Job, Never ran)" })).toBeInTheDocument();
    expect(node("pipeline:21")).toHaveAttribute("data-status", "success");
    expect(node("transformation:5")).toHaveAttribute("data-status", "failed");
    const inferred = document.querySelector('[data-edge="pipeline:21>transformation:5"]');
    expect(inferred).toHaveAttribute("data-inferred", "true");
    expect(inferred?.querySelector<SVGPathElement>("path.react-flow__edge-path")?.style.strokeDasharray).toBe("6 5");
    expect(screen.getByRole("img", { name: "Inferred: Orders → stg_orders" })).toBe(inferred);
    const declared = screen.getByRole("button", { name: "Dependency: stg_orders → nightly" });
    expect(declared).toHaveAttribute("data-inferred", "false");
    expect(declared.querySelector<SVGPathElement>("path.react-flow__edge-path")?.style.strokeDasharray).toBe("");
    // Layered left to right: each upstream is left of its downstream.
    const left = (key: string) => {
      const wrapper = node(key)?.closest<HTMLElement>(".react-flow__node");
      return Number(/translate\(([-\d.]+)px/.exec(wrapper?.style.transform ?? "")?.[1]);
    };
    expect(left("pipeline:21")).toBeLessThan(left("transformation:5"));
    expect(left("transformation:5")).toBeLessThan(left("job:31"));
    const legend = screen.getByRole("list", { name: "Legend" });
    expect(within(legend).getByText("Inferred (ref/source)")).toBeInTheDocument();
    expect(within(legend).getByText("Running")).toBeInTheDocument();
    // React Flow's own controls speak the interface language too.
    expect(screen.getByRole("button", { name: "Zoom in" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Fit the graph" })).toBeInTheDocument();
  });

  it("says so when the org has no node", async () => {
    await renderApp("/dag");
    expect(await screen.findByText("No pipelines, transformations or jobs yet: the graph appears as soon as there is one.")).toBeInTheDocument();
  });

  it("adds a dependency from a node's panel (the keyboard's way to drag an edge), and shows the cycle a refused one would close", async () => {
    const posted: unknown[] = [];
    server.use(
      http.get("/api/v1/dag", () => HttpResponse.json(dag)),
      http.post("/api/v1/dependencies", async ({ request }) => {
        const body = (await request.json()) as { upstream: { type: string } };
        posted.push(body);
        if (body.upstream.type === "job") {
          return problem(409, "The dependency would close a cycle.", { cycle: ["job:31", "pipeline:21", "transformation:5", "job:31"] });
        }
        return HttpResponse.json({ id: 9, ...body, check_timeframe: null, created_at: "2026-03-01T00:00:00Z" }, { status: 201 });
      }),
    );
    const { user } = await renderApp("/dag");
    const orders = await screen.findByRole("button", { name: "Orders (Pipeline, Succeeded)" });
    // Every node has a handle to drag from and one to drop on (React Flow does the dragging in a browser).
    expect(document.querySelector('[data-source-key="pipeline:21"]')).toHaveClass("source");
    expect(document.querySelector('[data-node-key="job:31"][data-handle="target"]')).toHaveClass("target");

    await user.click(orders);
    let panel = screen.getByRole("complementary", { name: "Details of Orders" });
    await user.selectOptions(within(panel).getByRole("combobox", { name: "Add a downstream node" }), "job:31");
    await user.click(within(panel).getByRole("button", { name: "Add" }));
    await waitFor(() => {
      expect(posted).toEqual([{ upstream: { type: "pipeline", id: 21 }, downstream: { type: "job", id: 31 } }]);
    });

    await user.click(screen.getByRole("button", { name: "nightly (Job, Never ran)" }));
    panel = screen.getByRole("complementary", { name: "Details of nightly" });
    await user.selectOptions(within(panel).getByRole("combobox", { name: "Add a downstream node" }), "pipeline:21");
    await user.click(within(panel).getByRole("button", { name: "Add" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("It would close a cycle: nightly → Orders → stg_orders → nightly");
  });

  it("declares a dependency with a check_timeframe from the panel", async () => {
    const posted: unknown[] = [];
    server.use(
      http.get("/api/v1/dag", () => HttpResponse.json(dag)),
      http.post("/api/v1/dependencies", async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        posted.push(body);
        return HttpResponse.json({ id: 9, ...body, created_at: "2026-03-01T00:00:00Z" }, { status: 201 });
      }),
    );
    const { user } = await renderApp("/dag");
    await user.click(await screen.findByRole("button", { name: "Orders (Pipeline, Succeeded)" }));
    const panel = screen.getByRole("complementary", { name: "Details of Orders" });
    await user.selectOptions(within(panel).getByRole("combobox", { name: "Add a downstream node" }), "job:31");
    await user.click(within(panel).getByRole("checkbox", { name: "Only when this node succeeded recently" }));
    const value = within(panel).getByRole("textbox", { name: "Within" });
    await user.clear(value);
    await user.type(value, "0");
    expect(within(panel).getByRole("button", { name: "Add" })).toBeDisabled();
    await user.clear(value);
    await user.type(value, "2");
    await user.selectOptions(within(panel).getByRole("combobox", { name: "Unit" }), "days");
    await user.click(within(panel).getByRole("button", { name: "Add" }));
    await waitFor(() => {
      expect(posted).toEqual([
        { upstream: { type: "pipeline", id: 21 }, downstream: { type: "job", id: 31 }, check_timeframe: { value: 2, unit: "days" } },
      ]);
    });
  });

  it("removes a declared edge after confirmation", async () => {
    let deleted = "";
    server.use(
      http.get("/api/v1/dag", () => HttpResponse.json(dag)),
      http.delete("/api/v1/dependencies/:id", ({ params }) => {
        deleted = String(params.id);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user } = await renderApp("/dag");
    await user.click(await screen.findByRole("button", { name: "Dependency: stg_orders → nightly" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Remove the dependency stg_orders → nightly?");
    await user.click(within(dialog).getByRole("button", { name: "Remove" }));
    await waitFor(() => {
      expect(deleted).toBe("8");
    });
  });

  it("opens a node's details and runs it with downstream, then lights the DAG run's nodes up as it progresses", async () => {
    let polls = 0;
    let cancelled = false;
    const triggers: unknown[] = [];
    server.use(
      http.get("/api/v1/dag", () => HttpResponse.json(dag)),
      http.post("/api/v1/pipelines/:id/runs", async ({ request }) => {
        triggers.push(await request.json());
        return HttpResponse.json({ id: 700, target_type: "pipeline", target_id: 21, status: "queued", trigger: "manual", attempt: 1, dag_run_id: 12, rows_loaded: 0, stats: {}, created_at: "2026-03-01T00:00:00Z" }, { status: 202 });
      }),
      http.get("/api/v1/dag-runs/:id", () => {
        polls += 1;
        if (cancelled) return HttpResponse.json(dagRun(["success", "cancelled", "skipped"], "cancelled"));
        return HttpResponse.json(polls === 1 ? dagRun(["running", "pending", "pending"], "running") : dagRun(["success", "running", "pending"], "running"));
      }),
      http.post("/api/v1/dag-runs/:id/cancel", () => {
        cancelled = true;
        return HttpResponse.json(dagRun(["success", "cancelled", "skipped"], "cancelled"), { status: 202 });
      }),
    );
    const { user, router } = await renderApp("/dag");
    await user.click(await screen.findByRole("button", { name: "Orders (Pipeline, Succeeded)" }));
    const panel = screen.getByRole("complementary", { name: "Details of Orders" });
    expect(within(panel).getByRole("link", { name: "Open page" })).toHaveAttribute("href", "/pipelines/21");
    expect(within(within(panel).getByRole("list", { name: "Downstream" })).getByText("stg_orders")).toBeInTheDocument();
    expect(within(panel).getByRole("link", { name: /Run #501/ })).toHaveAttribute("href", "/runs/501");
    await user.click(within(panel).getByRole("button", { name: "Run with downstream" }));
    await waitFor(() => {
      expect(router.state.location.search).toEqual({ dag_run: 12 });
    });
    expect(triggers).toEqual([{ full_refresh: false, downstream: true }]);
    const banner = await screen.findByRole("status", { name: "DAG run" });
    expect(banner).toHaveTextContent("DAG run 12: running");
    await waitFor(() => {
      expect(node("pipeline:21")).toHaveAttribute("data-status", "running");
    });
    expect(node("transformation:5")).toHaveAttribute("data-status", "pending");
    // About a second later the next poll shows the cascade further on.
    await waitFor(() => {
      expect(node("transformation:5")).toHaveAttribute("data-status", "running");
    });
    expect(node("pipeline:21")).toHaveAttribute("data-status", "success");
    expect(banner).toHaveTextContent("1 of 3 nodes done.");

    await user.click(within(banner).getByRole("button", { name: "Cancel DAG run" }));
    await user.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Cancel DAG run" }));
    await waitFor(() => {
      expect(node("job:31")).toHaveAttribute("data-status", "skipped");
    });
    expect(screen.getByRole("status", { name: "DAG run" })).toHaveTextContent("DAG run 12: cancelled");
  });

  it("hides editing from viewers", async () => {
    server.use(...signedInAs("viewer"), http.get("/api/v1/dag", () => HttpResponse.json(dag)));
    await renderApp("/dag");
    await screen.findByRole("button", { name: "Orders (Pipeline, Succeeded)" });
    expect(document.querySelector("[data-source-key]")).toBeNull();
    expect(screen.queryByRole("button", { name: "Dependency: stg_orders → nightly" })).not.toBeInTheDocument();
  });
});
