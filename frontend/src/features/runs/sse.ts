/**
 * A Server-Sent Events reader for fetch() bodies. EventSource cannot send the Authorization header
 * the API needs, so the run page reads GET /runs/{id}/logs/stream with fetch and parses the event
 * stream itself, as the HTML standard describes it: lines end with CRLF, LF or CR; a blank line
 * dispatches the event; `data` lines join with "\n"; lines starting with ":" are comments; the last
 * `id` seen is kept for a reconnect's Last-Event-ID.
 */

export type SseEvent = { event: string; data: string; id: string };

export class SseParser {
  #buffer = "";
  /** A chunk ended with CR: an LF at the start of the next one belongs to that line ending. */
  #pendingCR = false;
  #event = "";
  #data: string[] = [];
  #hasData = false;
  /** The last event id, kept across events (the stream's "last event ID buffer"). */
  lastEventId = "";
  /** The reconnection time the server asked for with `retry:`, in milliseconds. */
  retry: number | undefined;

  /** Feeds decoded text and returns the events it completed. */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (this.#pendingCR && text.startsWith("\n")) text = text.slice(1);
    this.#pendingCR = false;
    this.#buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      if (!match) break;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (match[0] === "\r" && match.index === this.#buffer.length - 1) {
        this.#pendingCR = true;
      }
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      const event = this.#line(line);
      if (event) events.push(event);
    }
    return events;
  }

  #line(line: string): SseEvent | null {
    if (line === "") {
      if (!this.#hasData) {
        this.#event = "";
        return null;
      }
      const event = { event: this.#event || "message", data: this.#data.join("\n"), id: this.lastEventId };
      this.#event = "";
      this.#data = [];
      this.#hasData = false;
      return event;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.#event = value;
        break;
      case "data":
        this.#data.push(value);
        this.#hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break;
    }
    return null;
  }
}

/**
 * Reads a byte stream to its end, yielding the events each chunk completed (one batch per chunk,
 * so a burst of log lines renders once). Stopping early cancels the stream.
 */
export async function* readEvents(body: ReadableStream<Uint8Array>, parser = new SseParser()): AsyncGenerator<SseEvent[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const events = parser.push(decoder.decode(value, { stream: true }));
      if (events.length > 0) yield events;
    }
    finished = true;
    const rest = parser.push(decoder.decode());
    if (rest.length > 0) yield rest;
  } finally {
    // Not awaited: some bodies only settle a cancel once the server closes, which may be never.
    if (!finished) reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
