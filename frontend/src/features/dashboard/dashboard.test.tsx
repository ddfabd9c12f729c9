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

  it("lists failing pipelines with links, and says when nothing ran", async () => {
    server.use(http.get("/api/v1/dashboard", () => HttpResponse.json(dashboard)));
    const first = await renderApp("/");
    const failing = await screen.findByRole("list", { name: "Failing pipelines" });
    expect(within(failing).getByRole("link", { name: "Orders to warehouse" })).toHaveAttribute("href", "/pipelines/21");
    expect(within(failing).getByText("relation missing")).toBeInTheDocument();
    expect(within(failing).getByRole("link", { name: /Failed/ })).toHaveAttribute("href", "/runs/610");
    first.unmount();

    server.use(http.get("/api/v1/dashboard", () => HttpResponse.json({ ...dashboard, days: [day(0)], failing_pipelines: [] })));
    await renderApp("/");
    expect(await screen.findByText("No runs in this period.")).toBeInTheDocument();
    expect(screen.getByText("No pipeline is failing.")).toBeInTheDocument();
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
