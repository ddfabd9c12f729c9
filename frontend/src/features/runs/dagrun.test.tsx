import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { pipeline, run } from "@/test/pipelines";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

describe("runs of a DAG run", () => {
  it("filters by ?dag_run_id=, shows the runs as one group and links to the DAG page", async () => {
    const queries: URLSearchParams[] = [];
    server.use(
      http.get("/api/v1/runs", ({ request }) => {
        queries.push(new URL(request.url).searchParams);
        return HttpResponse.json({
          items: [run({ id: 502, dag_run_id: 9, trigger: "dependency" }), run({ id: 501, dag_run_id: 9 })],
          next_cursor: null,
        });
      }),
    );
    const { user, router } = await renderApp("/runs?dag_run_id=9");
    const group = await screen.findByRole("status");
    expect(group).toHaveTextContent("Runs of DAG run 9");
    expect(within(group).getByRole("link", { name: "Show it on the DAG" })).toHaveAttribute("href", "/dag?dag_run=9");
    expect(queries.at(-1)?.get("dag_run_id")).toBe("9");
    const table = screen.getByRole("table", { name: "Runs" });
    expect(within(table).getAllByRole("link", { name: "DAG run 9" })).toHaveLength(2);
    // Other filters keep the DAG run.
    await user.selectOptions(screen.getByLabelText("Status"), "failed");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => {
      expect(router.state.location.search).toEqual({ status: "failed", dag_run_id: 9 });
    });
  });

  it("says on a run's page which DAG run it belongs to", async () => {
    server.use(
      http.get("/api/v1/runs/:id", () => HttpResponse.json(run({ dag_run_id: 9, trigger: "dependency" }))),
      http.get("/api/v1/pipelines/:id", () => HttpResponse.json(pipeline())),
      http.get("/api/v1/runs/:id/logs/stream", () => new HttpResponse("event: end\ndata: {}\n\n", { headers: { "Content-Type": "text/event-stream" } })),
    );
    await renderApp("/runs/501");
    expect(await screen.findByRole("link", { name: "Part of DAG run 9" })).toHaveAttribute("href", "/dag?dag_run=9");
  });

  it("says what a scheduled run waits for while its upstreams have no recent success", async () => {
    server.use(
      http.get("/api/v1/runs/:id", () =>
        HttpResponse.json(
          run({
            status: "queued",
            trigger: "schedule",
            stats: { phase: "waiting", tables: [], waiting: { upstreams: ["nightly load (a success within 1 hours)"], since: "2026-12-08T01:00:00Z" } },
          }),
        ),
      ),
      http.get("/api/v1/pipelines/:id", () => HttpResponse.json(pipeline())),
      http.get("/api/v1/runs/:id/logs/stream", () => new HttpResponse("event: end\ndata: {}\n\n", { headers: { "Content-Type": "text/event-stream" } })),
    );
    await renderApp("/runs/501");
    expect(await screen.findByText(/Waiting for nightly load \(a success within 1 hours\) since/)).toBeInTheDocument();
  });
});
