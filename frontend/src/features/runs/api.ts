import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";
import { api, ApiError, type Schemas } from "@/api/client";
import { idempotencyKey } from "@/api/idempotency";
import { unwrap } from "@/api/unwrap";
import { readEvents } from "./sse";

export type Run = Schemas["Run"];
export type RunStatus = Schemas["RunStatus"];
export type RunTrigger = Schemas["RunTrigger"];
export type RunTargetType = Schemas["RunTargetType"];
export type RunLogLine = Schemas["RunLogLine"];
export type Dashboard = Schemas["Dashboard"];

export const runStatuses: RunStatus[] = ["queued", "running", "success", "failed", "cancelled", "skipped"];
export const runTriggers: RunTrigger[] = ["manual", "schedule", "dependency", "api", "retry"];
export const runTargetTypes: RunTargetType[] = ["pipeline", "transformation", "job"];

export function isActive(status: RunStatus): boolean {
  return status === "queued" || status === "running";
}

export type RunFilters = {
  status?: RunStatus | undefined;
  target_type?: RunTargetType | undefined;
  target_id?: number | undefined;
  trigger?: RunTrigger | undefined;
  dag_run_id?: number | undefined;
  since?: string | undefined;
  until?: string | undefined;
};

export const runsPageSize = 50;

/**
 * The query keys of runs. Invalidating `lists()` refetches every list of runs (any filters) but
 * not the runs already open, which their own query and the log stream keep fresh.
 */
export const runKeys = {
  all: ["runs"] as const,
  lists: () => [...runKeys.all, "list"] as const,
  list: (filters: RunFilters, limit: number) => [...runKeys.lists(), filters, limit] as const,
  detail: (id: number) => [...runKeys.all, id] as const,
};

/** The query key of the dashboard, which summarizes runs. */
export const dashboardKeys = {
  all: ["dashboard"] as const,
};

export function runsQuery(filters: RunFilters, limit = runsPageSize) {
  return infiniteQueryOptions({
    queryKey: runKeys.list(filters, limit),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ signal, pageParam }) => {
      return unwrap(await api.GET("/api/v1/runs", {
        signal,
        params: { query: { ...filters, limit, cursor: pageParam } },
      }));
    },
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function runQuery(id: number) {
  return queryOptions({
    queryKey: runKeys.detail(id),
    queryFn: async ({ signal }) => {
      return unwrap(await api.GET("/api/v1/runs/{id}", { signal, params: { path: { id } } }));
    },
  });
}

export const dashboardQuery = queryOptions({
  queryKey: dashboardKeys.all,
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/dashboard", { signal }));
  },
  refetchInterval: 30_000,
});

export async function cancelRun(id: number): Promise<Run> {
  return unwrap(await api.POST("/api/v1/runs/{id}/cancel", {
    params: { path: { id }, header: { "Idempotency-Key": idempotencyKey() } },
  }));
}

export async function retryRun(id: number): Promise<Run> {
  return unwrap(await api.POST("/api/v1/runs/{id}/retry", {
    params: { path: { id }, header: { "Idempotency-Key": idempotencyKey() } },
  }));
}

export async function fetchLogs(id: number, after: number, signal?: AbortSignal) {
  return unwrap(await api.GET("/api/v1/runs/{id}/logs", {
    signal,
    params: { path: { id }, query: { after, limit: 5000 } },
  }));
}

export type FollowMode = "connecting" | "streaming" | "reconnecting" | "polling" | "done";

export type FollowOptions = {
  runId: number;
  /** The seq of the last line already shown (0: none). */
  after?: number;
  signal: AbortSignal;
  onLines: (lines: RunLogLine[]) => void;
  onRun?: (run: Run) => void;
  onMode?: (mode: FollowMode) => void;
  /** Milliseconds between polls of GET /logs when the stream is unavailable. */
  pollMs?: number;
  /** Milliseconds before a reconnect after a dropped stream (times the attempt). */
  retryMs?: number;
  /** Dropped streams in a row after which the follower falls back to polling. */
  maxDrops?: number;
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Errors that say the run itself cannot be read: following it further is pointless. */
function isFatal(status: number): boolean {
  return status === 401 || status === 403 || status === 404;
}

/**
 * Follows a run's log until it ends: live over GET /runs/{id}/logs/stream (fetch with the
 * Authorization header, resuming with Last-Event-ID after a drop), falling back to polling GET
 * /runs/{id}/logs?after= when the stream is unavailable or keeps dropping. Lines are delivered in
 * order and never twice.
 */
export async function followRunLogs(options: FollowOptions): Promise<void> {
  const { runId, signal, onLines, onRun, onMode } = options;
  const pollMs = options.pollMs ?? 2_000;
  const retryMs = options.retryMs ?? 1_000;
  const maxDrops = options.maxDrops ?? 3;
  let after = options.after ?? 0;
  let drops = 0;
  // A function, so that TypeScript does not narrow the flag across awaits.
  const aborted = () => signal.aborted;

  const deliver = (lines: RunLogLine[]) => {
    const fresh = lines.filter((line) => line.seq > after);
    if (fresh.length === 0) return;
    after = fresh[fresh.length - 1]?.seq ?? after;
    onLines(fresh);
  };

  onMode?.("connecting");
  while (!aborted() && drops < maxDrops) {
    let response: Response;
    let body: ReadableStream<Uint8Array> | null;
    try {
      const result = await api.GET("/api/v1/runs/{id}/logs/stream", {
        signal,
        parseAs: "stream",
        params: { path: { id: runId }, header: after > 0 ? { "Last-Event-ID": String(after) } : {} },
      });
      response = result.response;
      body = response.ok ? result.data ?? null : null;
      if (!response.ok && isFatal(response.status)) throw ApiError.from(response, result.error);
    } catch (error) {
      if (aborted()) return;
      if (error instanceof ApiError) throw error;
      // A network failure: try again, then poll.
      drops += 1;
      onMode?.("reconnecting");
      await sleep(retryMs * drops, signal);
      continue;
    }
    const contentType = response.headers.get("Content-Type") ?? "";
    if (!body || !contentType.includes("text/event-stream")) break;
    onMode?.("streaming");
    let ended = false;
    try {
      for await (const events of readEvents(body)) {
        const lines: RunLogLine[] = [];
        for (const event of events) {
          if (event.event === "log") {
            lines.push(JSON.parse(event.data) as RunLogLine);
          } else if (event.event === "status") {
            deliver(lines.splice(0));
            onRun?.(JSON.parse(event.data) as Run);
          } else if (event.event === "end") {
            ended = true;
          }
        }
        if (lines.length > 0) drops = 0;
        deliver(lines);
        if (ended) break;
      }
    } catch {
      if (aborted()) return;
    }
    if (ended) {
      onMode?.("done");
      return;
    }
    if (aborted()) return;
    drops += 1;
    onMode?.("reconnecting");
    await sleep(retryMs * drops, signal);
  }

  onMode?.("polling");
  while (!aborted()) {
    try {
      const page = await fetchLogs(runId, after, signal);
      deliver(page.items);
      if (page.next_after > after) after = page.next_after;
      if (page.done) {
        onMode?.("done");
        return;
      }
      // A full page means more are waiting: ask again at once.
      if (page.items.length >= 5000) continue;
    } catch (error) {
      if (aborted()) return;
      if (error instanceof ApiError && isFatal(error.status)) throw error;
    }
    await sleep(pollMs, signal);
  }
}
