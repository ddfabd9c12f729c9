import type { Schemas } from "@/api/client";

/** Test fixtures for pipelines, runs and the dashboard, shaped as the API answers them. */
export function run(overrides: Partial<Schemas["Run"]> = {}): Schemas["Run"] {
  return {
    id: 501,
    target_type: "pipeline",
    target_id: 21,
    target_name: "Orders to warehouse",
    status: "success",
    trigger: "manual",
    attempt: 1,
    retry_of: null,
    dag_run_id: null,
    started_at: "2025-03-04T05:06:07Z",
    finished_at: "2025-03-04T05:06:19Z",
    duration_ms: 12_400,
    rows_loaded: 1234,
    error: null,
    stats: {
      phase: "done",
      tables: [{ name: "orders", rows_read: 1234, rows_written: 1234, rows_rejected: 0, bytes: 65_536, seconds: 3.5 }],
    },
    created_at: "2025-03-04T05:06:06Z",
    ...overrides,
  };
}

export function pipeline(overrides: Partial<Schemas["Pipeline"]> = {}): Schemas["Pipeline"] {
  return {
    id: 21,
    name: "Orders to warehouse",
    description: "",
    source_connection_id: 11,
    destination_connection_id: 11,
    destination_schema: "orders_to_warehouse",
    status: "active",
    config: {
      mode: "full_database",
      source_schema: "public",
      table_names: ["orders"],
      write_disposition: "append",
      batch_size: 50000,
      schema_contract: { tables: "evolve", columns: "evolve", data_type: "evolve" },
      verify: "count",
      naming: "snake_case",
    },
    last_run: run(),
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-02T00:00:00Z",
    ...overrides,
  };
}

export function logLine(seq: number, message: string, level: Schemas["RunLogLine"]["level"] = "info"): Schemas["RunLogLine"] {
  return { seq, at: `2025-03-04T05:06:${String(seq % 60).padStart(2, "0")}Z`, level, message, fields: {} };
}

/** A text/event-stream body that sends `chunks` and then ends (or stays open when `hold` is given). */
export function eventStream(chunks: string[], hold?: Promise<void>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    async start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (hold) await hold;
      controller.close();
    },
  });
}

export function sseLog(line: Schemas["RunLogLine"]): string {
  return `event: log\nid: ${String(line.seq)}\ndata: ${JSON.stringify(line)}\n\n`;
}
