import { screen, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { problem } from "@/test/identity";
import { run } from "@/test/pipelines";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import { niceMax } from "./charts";
import { rowsToday } from "./DashboardPage";

function day(offset: number, counts: Partial<Schemas["DashboardDay"]> = {}): Schemas["DashboardDay"] {
  const date = new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
  return { day: date, success: 0, failed: 0, cancelled: 0, other: 0, rows_loaded: 0, ...counts };
}

const dashboard: Schemas["Dashboard"] = {
  counts: { connections: 3, pipelines: 5, transformations: 0 },
  runs_24h: { total: 4, by_status: { success: 3, failed: 1 }, success_rate: 0.75 },
  runs_7d: { total: 10, by_status: { success: 9, failed: 1 }, success_rate: 0.9 },
  days: [day(2, { success: 4, failed: 1, rows_loaded: 1000 }), day(1), day(0, { success: 2, cancelled: 1, other: 1, rows_loaded: 12_345 })],
  failing_pipelines: [{ id: 21, name: "Orders to warehouse", last_run: run({ id: 610, status: "failed", error: "relation missing" }) }],
  failing_nodes: [
    { key: "pipeline:21", type: "pipeline", id: 21, name: "Orders to warehouse", last_run: run({ id: 610, status: "failed", error: "relation missing" }) },
    {
      key: "transformation:5",
      type: "transformation",
      id: 5,
      name: "stg_orders",
      last_run: run({ id: 611, target_type: "transformation", target_id: 5, status: "failed", error: "syntax error" }),
    },
  ],
  next_fires: [
    { schedule_id: 3, target_type: "job", target_id: 31, target_name: "nightly", at: "2026-03-09T07:00:00Z", timezone: "America/New_York" },
    { schedule_id: 4, target_type: "pipeline", target_id: 21, target_name: "Orders to warehouse", at: "2026-03-09T08:00:00Z", timezone: "UTC" },
  ],
  overdue_schedules: [],
  active_runs: 2,
};

describe("dashboard", () => {
  it("shows the stat cards", async () => {
    server.use(http.get("/api/v1/dashboard", () => HttpResponse.json(dashboard)));
    await renderApp("/");
    const stats = await screen.findByRole("list", { name: "Key figures" });
    const card = (label: string) => within(stats).getByText(label).closest("li");
    expect(card("Connections")).toHaveTextContent("3");
    expect(card("Connections")?.querySelector("a")).toHaveAttribute("href", "/connections");
    expect(card("Pipelines")).toHaveTextContent("5");
    expect(card("Active runs")).toHaveTextContent("2");
    expect(card("Success rate, 24 h")).toHaveTextContent("75%");
    expect(card("Success rate, 24 h")).toHaveTextContent("4 runs");
    expect(card("Success rate, 7 days")).toHaveTextContent("90%");
    expect(card("Rows loaded today")).toHaveTextContent("12,345");
  });

  it("draws runs per day stacked by status and rows per day, with their numbers for screen readers", async () => {
    server.use(http.get("/api/v1/dashboard", () => HttpResponse.json(dashboard)));
    const { container } = await renderApp("/");
    expect(await screen.findByRole("img", { name: "Runs per day" })).toBeInTheDocument();
    expect(screen.getByRole("img", { name: "Rows loaded per day" })).toBeInTheDocument();
    const first = container.querySelector(`[data-day="${dashboard.days[0]?.day ?? ""}"]`);
    expect([...(first?.querySelectorAll("rect") ?? [])].map((rect) => rect.getAttribute("data-series"))).toEqual(["success", "failed"]);
    const today = container.querySelector(`[data-day="${dashboard.days[2]?.day ?? ""}"]`);
    const heights = [...(today?.querySelectorAll("rect") ?? [])].map((rect) => Number(rect.getAttribute("height")));
    // 2 + 1 + 1 runs stacked on an axis up to 5: the success bar is twice the others.
    expect(heights).toHaveLength(3);
    expect(heights[0]).toBeCloseTo((heights[1] ?? 0) * 2);
    const table = screen.getByRole("table", { name: "Runs per day" });
    expect(within(table).getAllByRole("row")).toHaveLength(4);
  });

  it("lists failing nodes of every type with links, and says when nothing ran", async () => {
    server.use(http.get("/api/v1/dashboard", () => HttpResponse.json(dashboard)));
    const first = await renderApp("/");
    const failing = await screen.findByRole("list", { name: "Failing nodes" });
    expect(within(failing).getByRole("link", { name: "Orders to warehouse" })).toHaveAttribute("href", "/pipelines/21");
    expect(within(failing).getByRole("link", { name: "stg_orders" })).toHaveAttribute("href", "/transformations/5");
    expect(within(failing).getByText("relation missing")).toBeInTheDocument();
    expect(within(failing).getAllByRole("link", { name: /Failed/ })[0]).toHaveAttribute("href", "/runs/610");
    first.unmount();

    server.use(
      http.get("/api/v1/dashboard", () =>
        HttpResponse.json({ ...dashboard, days: [day(0)], failing_pipelines: [], failing_nodes: [], next_fires: [] }),
      ),
    );
    await renderApp("/");
    expect(await screen.findByText("No runs in this period.")).toBeInTheDocument();
    expect(screen.getByText("Nothing is failing.")).toBeInTheDocument();
    expect(screen.getByText("No active schedule.")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("lists the next scheduled fires in their zones and warns about overdue schedules", async () => {
    server.use(
      http.get("/api/v1/dashboard", () =>
        HttpResponse.json({
          ...dashboard,
          overdue_schedules: [{ schedule_id: 9, target_type: "transformation", target_id: 5, target_name: "stg_orders", at: "2026-03-08T06:00:00Z" }],
        }),
      ),
    );
    await renderApp("/");
    const fires = await screen.findByRole("list", { name: "Next scheduled fires" });
    const items = within(fires).getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(items[0]).toContainElement(within(fires).getByRole("link", { name: "nightly" }));
    expect(within(fires).getByRole("link", { name: "nightly" })).toHaveAttribute("href", "/jobs/31");
    // 07:00 UTC is 03:00 in New York (EDT) on 9 March 2026.
    expect(items[0]?.querySelector("time")).toHaveTextContent(/03:00/);
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("1 schedule is overdue");
    expect(within(alert).getByRole("link", { name: "stg_orders" })).toHaveAttribute("href", "/transformations/5");
  });

  it("shows an error when it cannot be loaded", async () => {
    server.use(http.get("/api/v1/dashboard", () => problem(503, "Try again later.")));
    await renderApp("/");
    expect(await screen.findByText("Try again later.")).toBeInTheDocument();
  });

  it("computes axis bounds and today's rows", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(4)).toBe(5);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(120)).toBe(200);
    expect(rowsToday(dashboard)).toBe(12_345);
    expect(rowsToday({ ...dashboard, days: [day(1, { rows_loaded: 9 })] })).toBe(0);
  });
});
