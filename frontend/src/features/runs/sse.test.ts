import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { session } from "@/features/auth/auth";
import { problem, tokens } from "@/test/identity";
import { eventStream, logLine, run, sseLog } from "@/test/pipelines";
import { server } from "@/test/server";
import { followRunLogs, type FollowMode, type RunLogLine } from "./api";
import { readEvents, SseParser } from "./sse";

describe("SseParser", () => {
  it("dispatches an event on a blank line, with its type, data and id", () => {
    const parser = new SseParser();
    expect(parser.push('event: log\nid: 7\ndata: {"a":1}\n\n')).toEqual([{ event: "log", data: '{"a":1}', id: "7" }]);
    expect(parser.lastEventId).toBe("7");
  });

  it("joins multi-line data with newlines and defaults the type to message", () => {
    const parser = new SseParser();
    expect(parser.push("data: first\ndata:second\ndata\n\n")).toEqual([{ event: "message", data: "first\nsecond\n", id: "" }]);
  });

  it("completes events split at any byte, including inside a CRLF", () => {
    const text = "event: log\r\nid: 1\r\ndata: one\r\n\r\n: keep-alive\r\nevent: end\rdata: bye\r\r";
    const whole = new SseParser().push(text);
    expect(whole).toEqual([
      { event: "log", data: "one", id: "1" },
      { event: "end", data: "bye", id: "1" },
    ]);
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect({ cut, events }).toEqual({ cut, events: whole });
    }
  });

  it("ignores comments, unknown fields and events without data, and keeps the id across events", () => {
    const parser = new SseParser();
    expect(parser.push(": ping\n\nid: 3\n\nfoo: bar\ndata: x\n\nretry: 2500\n")).toEqual([{ event: "message", data: "x", id: "3" }]);
    expect(parser.retry).toBe(2500);
  });

  it("reads a byte stream whose chunks split multi-byte characters", async () => {
    const bytes = new TextEncoder().encode("data: grüße\n\n");
    const split = bytes.indexOf(0xc3) + 1;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, split));
        controller.enqueue(bytes.slice(split));
        controller.close();
      },
    });
    const batches: string[] = [];
    for await (const events of readEvents(body)) batches.push(...events.map((event) => event.data));
    expect(batches).toEqual(["grüße"]);
  });
});

function follow(runId: number, extra: Partial<Parameters<typeof followRunLogs>[0]> = {}) {
  const lines: RunLogLine[] = [];
  const modes: FollowMode[] = [];
  const runs: number[] = [];
  const controller = new AbortController();
  const done = followRunLogs({
    runId,
    signal: controller.signal,
    onLines: (fresh) => lines.push(...fresh),
    onMode: (mode) => modes.push(mode),
    onRun: (updated) => runs.push(updated.rows_loaded),
    retryMs: 1,
    pollMs: 1,
    ...extra,
  });
  return { lines, modes, runs, controller, done };
}

const streamHeaders = { "Content-Type": "text/event-stream" };

describe("followRunLogs", () => {
  it("streams with the access token and stops at the end event", async () => {
    session.signIn({ ...tokens("viewer"), access_token: "stream-token" });
    let auth: string | null = null;
    server.use(
      http.get("/api/v1/runs/:id/logs/stream", ({ request }) => {
        auth = request.headers.get("Authorization");
        return new HttpResponse(
          eventStream([
            sseLog(logLine(1, "connecting")),
            sseLog(logLine(2, "loading")) + `event: status\ndata: ${JSON.stringify(run({ rows_loaded: 3 }))}\n\n`,
            "event: end\ndata: {}\n\n",
          ]),
          { headers: streamHeaders },
        );
      }),
    );
    const { lines, modes, runs, done } = follow(9);
    await done;
    expect(auth).toBe("Bearer stream-token");
    expect(lines.map((line) => line.message)).toEqual(["connecting", "loading"]);
    expect(runs).toEqual([3]);
    expect(modes).toEqual(["connecting", "streaming", "done"]);
  });

  it("resumes after a dropped stream with Last-Event-ID and never repeats a line", async () => {
    const seen: (string | null)[] = [];
    server.use(
      http.get("/api/v1/runs/:id/logs/stream", ({ request }) => {
        const last = request.headers.get("Last-Event-ID");
        seen.push(last);
        if (last === null) {
          // Drops after two lines, without the end event.
          return new HttpResponse(eventStream([sseLog(logLine(1, "one")), sseLog(logLine(2, "two"))]), { headers: streamHeaders });
        }
        // The server replays from its own idea of the position; a repeated line must be dropped.
        return new HttpResponse(
          eventStream([sseLog(logLine(2, "two")), sseLog(logLine(3, "three")), "event: end\ndata: {}\n\n"]),
          { headers: streamHeaders },
        );
      }),
    );
    const { lines, modes, done } = follow(9);
    await done;
    expect(seen).toEqual([null, "2"]);
    expect(lines.map((line) => line.seq)).toEqual([1, 2, 3]);
    expect(modes).toEqual(["connecting", "streaming", "reconnecting", "streaming", "done"]);
  });

  it("falls back to polling GET /logs?after= when the stream is unavailable", async () => {
    const afters: string[] = [];
    server.use(
      http.get("/api/v1/runs/:id/logs/stream", () => problem(503, "Streaming is not available.")),
      http.get("/api/v1/runs/:id/logs", ({ request }) => {
        const after = new URL(request.url).searchParams.get("after") ?? "";
        afters.push(after);
        if (after === "0") return HttpResponse.json({ items: [logLine(1, "a"), logLine(2, "b")], next_after: 2, done: false });
        return HttpResponse.json({ items: [logLine(3, "c")], next_after: 3, done: true });
      }),
    );
    const { lines, modes, done } = follow(9);
    await done;
    expect(afters).toEqual(["0", "2"]);
    expect(lines.map((line) => line.message)).toEqual(["a", "b", "c"]);
    expect(modes.at(-2)).toBe("polling");
    expect(modes.at(-1)).toBe("done");
  });

  it("polls after the stream keeps dropping, from the last line it saw", async () => {
    const afters: string[] = [];
    let opened = 0;
    server.use(
      http.get("/api/v1/runs/:id/logs/stream", () => {
        opened += 1;
        return new HttpResponse(eventStream(opened === 1 ? [sseLog(logLine(1, "one"))] : []), { headers: streamHeaders });
      }),
      http.get("/api/v1/runs/:id/logs", ({ request }) => {
        afters.push(new URL(request.url).searchParams.get("after") ?? "");
        return HttpResponse.json({ items: [logLine(2, "two")], next_after: 2, done: true });
      }),
    );
    const { lines, done } = follow(9, { maxDrops: 2 });
    await done;
    expect(opened).toBe(2);
    expect(afters).toEqual(["1"]);
    expect(lines.map((line) => line.seq)).toEqual([1, 2]);
  });

  it("gives up on a run that is not there", async () => {
    server.use(http.get("/api/v1/runs/:id/logs/stream", () => problem(404, "No such run.")));
    const { done } = follow(9);
    await expect(done).rejects.toMatchObject({ status: 404 });
  });
});
