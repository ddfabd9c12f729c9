import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { problem, signedInAs } from "@/test/identity";
import { eventStream, logLine, pipeline, run, sseLog } from "@/test/pipelines";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

const streamHeaders = { "Content-Type": "text/event-stream" };

describe("runs page", () => {
  it("reads its filters from the URL and sends them to the API", async () => {
    const queries: URLSearchParams[] = [];
    server.use(
      http.get("/api/v1/runs", ({ request }) => {
        queries.push(new URL(request.url).searchParams);
        return HttpResponse.json({ items: [run({ status: "failed", error: "boom" })], next_cursor: null });
      }),
    );
    await renderApp("/runs?status=failed&target_type=pipeline&target_id=21&trigger=manual&since=2025-03-01T00%3A00%3A00.000Z&bogus=1");
    const table = await screen.findByRole("table", { name: "Runs" });
    expect(within(table).getByRole("link", { name: "Run #501" })).toHaveAttribute("href", "/runs/501");
    expect(within(table).getByRole("link", { name: "Orders to warehouse" })).toHaveAttribute("href", "/pipelines/21");
    const query = queries.at(-1);
    expect(query?.get("status")).toBe("failed");
    expect(query?.get("target_type")).toBe("pipeline");
    expect(query?.get("target_id")).toBe("21");
    expect(query?.get("trigger")).toBe("manual");
    expect(query?.get("since")).toBe("2025-03-01T00:00:00.000Z");
    expect(query?.has("bogus")).toBe(false);
    expect(screen.getByLabelText("Status")).toHaveValue("failed");
    expect(screen.getByLabelText("Target id")).toHaveValue("21");
  });

  it("writes the chosen filters into the URL, clears them, and ignores invalid ones", async () => {
    const { user, router } = await renderApp("/runs?status=nonsense&target_id=-3");
    expect(await screen.findByText("No runs yet.")).toBeInTheDocument();
    expect(router.state.location.search).toEqual({});
    await user.selectOptions(screen.getByLabelText("Status"), "running");
    await user.selectOptions(screen.getByLabelText("Trigger"), "retry");
    await user.type(screen.getByLabelText("Target id"), "7");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => {
      expect(router.state.location.search).toEqual({ status: "running", trigger: "retry", target_id: 7 });
    });
    expect(await screen.findByText("No run matches these filters.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Clear" }));
    await waitFor(() => {
      expect(router.state.location.search).toEqual({});
    });
  });

  it("loads more runs with the cursor", async () => {
    const cursors: (string | null)[] = [];
    server.use(
      http.get("/api/v1/runs", ({ request }) => {
        const cursor = new URL(request.url).searchParams.get("cursor");
        cursors.push(cursor);
        return cursor
          ? HttpResponse.json({ items: [run({ id: 400 })], next_cursor: null })
          : HttpResponse.json({ items: [run({ id: 500 })], next_cursor: "c2" });
      }),
    );
    const { user } = await renderApp("/runs");
    await screen.findByRole("link", { name: "Run #500" });
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByRole("link", { name: "Run #400" })).toBeInTheDocument();
    expect(cursors).toEqual([null, "c2"]);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });
});

function useRun(current: ReturnType<typeof run>) {
  server.use(
    http.get("/api/v1/runs/:id", () => HttpResponse.json(current)),
    http.get("/api/v1/pipelines/:id", () => HttpResponse.json(pipeline())),
  );
}

describe("run page", () => {
  it("shows the status, phases, stats and error of a run", async () => {
    useRun(
      run({
        status: "failed",
        error: "relation public.orders does not exist",
        stats: { phase: "loading", tables: [{ name: "orders", rows_read: 10, rows_written: 8, rows_rejected: 2, bytes: 2048, seconds: 0.5 }] },
        rows_loaded: 8,
      }),
    );
    server.use(http.get("/api/v1/runs/:id/logs/stream", () => new HttpResponse("event: end\ndata: {}\n\n", { headers: streamHeaders })));
    await renderApp("/runs/501");
    expect(await screen.findByRole("heading", { level: 1, name: "Run #501" })).toBeInTheDocument();
    expect(screen.getByText("Failed")).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("relation public.orders does not exist");
    const phases = screen.getByRole("list", { name: "Phases" });
    expect(within(phases).getByText("Loading").closest("li")).toHaveAttribute("data-state", "failed");
    expect(within(phases).getByText("Connecting").closest("li")).toHaveAttribute("data-state", "done");
    const tables = screen.getByRole("table", { name: "Tables" });
    const row = within(tables).getByRole("row", { name: /orders/ });
    expect(row).toHaveTextContent("10");
    expect(row).toHaveTextContent("2,048");
    expect(screen.getByTestId("run-rows")).toHaveTextContent("8");
    expect(screen.getByRole("button", { name: "Retry" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel run" })).not.toBeInTheDocument();
    expect(await screen.findByText("This run wrote no log lines.")).toBeInTheDocument();
  });

  it("streams the logs live, updates the status from the stream, and searches the lines", async () => {
    useRun(run({ status: "running", stats: { phase: "connecting" }, finished_at: null, duration_ms: null, rows_loaded: 0 }));
    let release: () => void = () => undefined;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.use(
      http.get("/api/v1/runs/:id/logs/stream", () =>
        new HttpResponse(
          eventStream(
            [
              sseLog(logLine(1, "connecting to source")),
              sseLog(logLine(2, "copying orders", "warn")),
              `event: status\ndata: ${JSON.stringify(run({ status: "success", rows_loaded: 3 }))}\n\n` + sseLog(logLine(3, "done", "error")),
            ],
            hold,
          ),
          { headers: streamHeaders },
        ),
      ),
    );
    const { user } = await renderApp("/runs/501");
    const log = await screen.findByRole("log", { name: "Logs" });
    expect(await within(log).findByText("connecting to source")).toBeInTheDocument();
    expect(await within(log).findByText("done")).toBeInTheDocument();
    expect(within(log).getByText("copying orders").closest("li")).toHaveAttribute("data-level", "warn");
    expect(screen.getByText("Live")).toBeInTheDocument();
    // The status event updated the run without a reload.
    expect(await screen.findByText("Succeeded")).toBeInTheDocument();
    expect(screen.getByTestId("run-rows")).toHaveTextContent("3");

    await user.type(screen.getByRole("searchbox", { name: "Search logs" }), "ORDERS");
    expect(within(log).getAllByRole("listitem")).toHaveLength(1);
    await user.clear(screen.getByRole("searchbox", { name: "Search logs" }));
    await user.type(screen.getByRole("searchbox", { name: "Search logs" }), "nothing like it");
    expect(within(log).getByText("No line matches the search.")).toBeInTheDocument();
    release();
  });

  it("cancels a running run after confirmation", async () => {
    const running = run({ status: "running", stats: { phase: "loading" }, finished_at: null, duration_ms: null });
    useRun(running);
    let cancels = 0;
    server.use(
      http.get("/api/v1/runs/:id/logs/stream", () => new HttpResponse(eventStream([], new Promise(() => undefined)), { headers: streamHeaders })),
      http.post("/api/v1/runs/:id/cancel", () => {
        cancels += 1;
        return HttpResponse.json({ ...running, status: "cancelled" }, { status: 202 });
      }),
    );
    const { user } = await renderApp("/runs/501");
    await user.click(await screen.findByRole("button", { name: "Cancel run" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("the destination stays as it was");
    expect(cancels).toBe(0);
    await user.click(within(dialog).getByRole("button", { name: "Cancel run" }));
    await waitFor(() => {
      expect(cancels).toBe(1);
    });
    expect(await screen.findByText("Cancelled")).toBeInTheDocument();
  });

  it("retries a failed run and opens the new one; a viewer sees neither action", async () => {
    useRun(run({ status: "failed", error: "boom" }));
    server.use(
      http.get("/api/v1/runs/:id/logs/stream", () => new HttpResponse("event: end\ndata: {}\n\n", { headers: streamHeaders })),
      http.post("/api/v1/runs/:id/retry", () => HttpResponse.json(run({ id: 502, status: "queued", attempt: 2, trigger: "retry", retry_of: 501 }), { status: 202 })),
    );
    const { user, router, unmount } = await renderApp("/runs/501");
    await user.click(await screen.findByRole("button", { name: "Retry" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/runs/502");
    });
    unmount();

    server.use(...signedInAs("viewer"));
    await renderApp("/runs/501");
    await screen.findByRole("heading", { level: 1, name: "Run #501" });
    expect(screen.queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
  });

  it("says when the run does not exist", async () => {
    server.use(http.get("/api/v1/runs/:id", () => problem(404, "No such run.")));
    await renderApp("/runs/9");
    expect(await screen.findByText("No such run.")).toBeInTheDocument();
  });
});
