import { act, screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it, vi } from "vitest";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import type { Readiness, Version } from "./api";

const ready: Readiness = {
  status: "ready",
  database: { ok: true, latency_ms: 3 },
  migrations: { ok: true, version: 12, expected_version: 12, dirty: false, queue_version: 6 },
};

const version: Version = {
  version: "0.4.2",
  commit: "9f1c2ab3d4e5f60718293a4b5c6d7e8f90a1b2c3",
  build_date: "2025-11-20T10:00:00Z",
  go_version: "go1.25.4",
};

function useVersion() {
  server.use(http.get("/api/v1/version", () => HttpResponse.json(version)));
}

function region(name: string) {
  return screen.getByRole("region", { name });
}

describe("status page", () => {
  it("shows a ready installation and its build", async () => {
    server.use(http.get("/readyz", () => HttpResponse.json(ready)));
    useVersion();
    await renderApp("/status");

    const readiness = region("Readiness");
    expect(await within(readiness).findByText("Ready")).toBeInTheDocument();
    expect(within(readiness).getByText("Reachable")).toBeInTheDocument();
    expect(within(readiness).getByText("3 ms")).toBeInTheDocument();
    expect(within(readiness).getByText("Up to date")).toBeInTheDocument();
    expect(within(readiness).getByText("Job queue schema version").nextElementSibling).toHaveTextContent("6");

    const build = region("Build");
    expect(await within(build).findByText("0.4.2")).toBeInTheDocument();
    expect(within(build).getByText(version.commit)).toBeInTheDocument();
    expect(within(build).getByText("go1.25.4")).toBeInTheDocument();
    expect(within(build).getByText("2025-11-20T10:00:00Z")).toBeInTheDocument();
    expect(screen.getByText(/Refreshes every 10 seconds\. Updated at /)).toBeInTheDocument();
  });

  it("shows the body of a 503 answer as not ready, naming what is wrong", async () => {
    server.use(
      http.get("/readyz", () =>
        HttpResponse.json<Readiness>(
          {
            status: "not_ready",
            database: { ok: false, message: "dial tcp 127.0.0.1:5432: connection refused" },
            migrations: { ok: false, version: 11, expected_version: 12, dirty: true },
          },
          { status: 503 },
        ),
      ),
    );
    useVersion();
    await renderApp("/status");

    const readiness = region("Readiness");
    expect(await within(readiness).findByText("Not ready")).toBeInTheDocument();
    expect(within(readiness).queryByText("Ready")).not.toBeInTheDocument();
    expect(within(readiness).getByText("Unreachable")).toBeInTheDocument();
    expect(within(readiness).getByText("dial tcp 127.0.0.1:5432: connection refused")).toBeInTheDocument();
    expect(within(readiness).getByText(/^Dirty/)).toBeInTheDocument();
    expect(within(readiness).getByText("Applied schema version").nextElementSibling).toHaveTextContent("11");
    expect(within(readiness).getByText("Expected schema version").nextElementSibling).toHaveTextContent("12");
    expect(within(readiness).getByText("Latency").nextElementSibling).toHaveTextContent("Not reported");
    expect(within(readiness).getByText("Job queue schema version").nextElementSibling).toHaveTextContent(
      "Not reported",
    );
    expect(within(readiness).queryByRole("alert")).not.toBeInTheDocument();
  });

  it("shows a network error and recovers on retry", async () => {
    server.use(http.get("/readyz", () => HttpResponse.error()));
    server.use(http.get("/api/v1/version", () => HttpResponse.error()));
    const { user } = await renderApp("/status");

    const readiness = region("Readiness");
    const alert = await within(readiness).findByRole("alert");
    expect(alert).toHaveTextContent("Could not check readiness");
    expect(alert).toHaveTextContent("The server could not be reached.");
    expect(await within(region("Build")).findByRole("alert")).toHaveTextContent("Could not load the build version");

    server.use(http.get("/readyz", () => HttpResponse.json(ready)));
    await user.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(await within(readiness).findByText("Ready")).toBeInTheDocument();
  });

  it("shows the problem detail of an unexpected error status", async () => {
    server.use(
      http.get("/readyz", () =>
        HttpResponse.json(
          { type: "urn:datanika:problem:internal", title: "Internal Server Error", status: 500, detail: "boom" },
          { status: 500, headers: { "Content-Type": "application/problem+json" } },
        ),
      ),
    );
    useVersion();
    await renderApp("/status");
    const alert = await within(region("Readiness")).findByRole("alert");
    expect(alert).toHaveTextContent("The server answered with HTTP status 500. boom");
  });

  it("does not take a 503 without a Readiness body for an answer", async () => {
    server.use(http.get("/readyz", () => new HttpResponse("upstream unavailable", { status: 503 })));
    useVersion();
    await renderApp("/status");
    const alert = await within(region("Readiness")).findByRole("alert");
    expect(alert).toHaveTextContent("The server answered with HTTP status 503.");
  });

  it("shows a loading state until the answer arrives", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.use(
      http.get("/readyz", async () => {
        await gate;
        return HttpResponse.json(ready);
      }),
    );
    useVersion();
    await renderApp("/status");
    const readiness = region("Readiness");
    expect(within(readiness).getByRole("status")).toHaveTextContent("Loading…");
    release();
    expect(await within(readiness).findByText("Ready")).toBeInTheDocument();
    await waitFor(() => {
      expect(within(readiness).queryByRole("status")).not.toBeInTheDocument();
    });
  });

  it("hides a stale answer when a later refresh fails", async () => {
    server.use(http.get("/readyz", () => HttpResponse.json(ready)));
    useVersion();
    const { user } = await renderApp("/status");
    const readiness = region("Readiness");
    expect(await within(readiness).findByText("Ready")).toBeInTheDocument();

    server.use(http.get("/readyz", () => HttpResponse.error()));
    await user.click(screen.getByRole("button", { name: "Refresh now" }));
    expect(await within(readiness).findByRole("alert")).toHaveTextContent("The server could not be reached.");
    expect(within(readiness).queryByText("Ready")).not.toBeInTheDocument();
  });

  it("asks again every 10 seconds and shows the newer answer", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      let calls = 0;
      server.use(
        http.get("/readyz", () => {
          calls += 1;
          return calls === 1
            ? HttpResponse.json(ready)
            : HttpResponse.json<Readiness>({ ...ready, status: "not_ready" }, { status: 503 });
        }),
      );
      useVersion();
      await renderApp("/status");
      const readiness = region("Readiness");
      expect(await within(readiness).findByText("Ready")).toBeInTheDocument();
      expect(calls).toBe(1);

      await act(() => vi.advanceTimersByTimeAsync(9_000));
      expect(calls).toBe(1);
      await act(() => vi.advanceTimersByTimeAsync(1_500));
      expect(await within(readiness).findByText("Not ready")).toBeInTheDocument();
      expect(calls).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("shows when a worker last proved alive", async () => {
    const at = new Date(Date.now() - 90_000).toISOString();
    server.use(http.get("/readyz", () => HttpResponse.json<Readiness>({ ...ready, worker_heartbeat_at: at })));
    useVersion();
    await renderApp("/status");
    const heartbeat = await within(region("Readiness")).findByTestId("worker-heartbeat");
    expect(heartbeat).toHaveAttribute("datetime", at);
    expect(heartbeat).toHaveTextContent(/\((2 minutes ago|1 minute ago)\)$/);
  });

  it("says when no worker has run yet", async () => {
    server.use(http.get("/readyz", () => HttpResponse.json<Readiness>({ ...ready, worker_heartbeat_at: null })));
    useVersion();
    await renderApp("/status");
    expect(await within(region("Readiness")).findByTestId("worker-heartbeat")).toHaveTextContent("No worker has run yet");
  });
});
