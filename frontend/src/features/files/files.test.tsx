import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it, vi } from "vitest";
import type { Schemas } from "@/api/client";
import { uploadedFile } from "@/test/connections";
import { problem, signedInAs } from "@/test/identity";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import { formatBytes } from "./api";

/**
 * A stand-in for XMLHttpRequest that the test drives: it records what was sent and lets the test
 * report upload progress and answer, as a browser would.
 */
class FakeXhr {
  static last: FakeXhr | null = null;
  static sent: FakeXhr[] = [];
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: FormData | null = null;
  status = 0;
  responseText = "";
  #listeners = new Map<string, ((event: ProgressEvent) => void)[]>();
  #uploadListeners = new Map<string, ((event: ProgressEvent) => void)[]>();
  upload = {
    addEventListener: (type: string, listener: (event: ProgressEvent) => void) => {
      this.#uploadListeners.set(type, [...(this.#uploadListeners.get(type) ?? []), listener]);
    },
  };
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  getResponseHeader() {
    return null;
  }
  addEventListener(type: string, listener: (event: ProgressEvent) => void) {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  send(body: FormData) {
    this.body = body;
    FakeXhr.last = this;
    FakeXhr.sent.push(this);
  }
  abort() {
    for (const listener of this.#listeners.get("abort") ?? []) listener(new ProgressEvent("abort"));
  }
  progress(loaded: number, total: number) {
    for (const listener of this.#uploadListeners.get("progress") ?? []) {
      listener(new ProgressEvent("progress", { lengthComputable: true, loaded, total }));
    }
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    for (const listener of this.#listeners.get("load") ?? []) listener(new ProgressEvent("load"));
  }
}

function installXhr() {
  FakeXhr.last = null;
  FakeXhr.sent = [];
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
}

function lastXhr(): FakeXhr {
  if (!FakeXhr.last) throw new Error("nothing was sent");
  return FakeXhr.last;
}

const csv: Schemas["File"] = {
  id: 4,
  name: "customers.csv",
  size: 1_572_864,
  sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  format: "csv",
  compression: "gzip",
  detected_columns: [
    { name: "id", type: "integer" },
    { name: "email", type: "string" },
    { name: "signed_up", type: "date" },
    { name: "vip", type: "boolean" },
    { name: "score", type: "number" },
    { name: "meta", type: "json" },
  ],
  created_at: "2025-02-03T10:00:00Z",
};

describe("files", () => {
  it("lists files with format, size, hash prefix, detected columns and date", async () => {
    server.use(http.get("/api/v1/files", () => HttpResponse.json({ items: [csv, uploadedFile], next_cursor: null })));
    await renderApp("/files");
    const table = await screen.findByRole("table", { name: "Uploaded files" });
    const row = within(table).getByText("customers.csv").closest("tr");
    if (!row) throw new Error("no row");
    expect(row).toHaveTextContent("csv");
    expect(row).toHaveTextContent("gzip");
    expect(row).toHaveTextContent("1.5 MB");
    expect(within(row).getByText("0123456789ab")).toHaveAttribute("title", csv.sha256);
    expect(row).toHaveTextContent("id (integer), email (string), signed_up (date), vip (boolean) and 2 more");
    expect(row).toHaveTextContent("2025");
    const other = within(table).getByText("legacy.sqlite").closest("tr");
    expect(other).toHaveTextContent("None detected");
  });

  it("uploads with a progress bar, sends the token, and lists the new file", async () => {
    installXhr();
    let listed: Schemas["File"][] = [];
    server.use(http.get("/api/v1/files", () => HttpResponse.json({ items: listed, next_cursor: null })));
    const { user } = await renderApp("/files");
    expect(await screen.findByText("No files uploaded yet.")).toBeInTheDocument();
    const file = new File(["id,email\n1,a@example.com\n"], "customers.csv", { type: "text/csv" });
    await user.upload(screen.getByLabelText("File"), file);
    await user.click(screen.getByRole("button", { name: "Upload" }));

    const xhr = lastXhr();
    expect(xhr.method).toBe("POST");
    expect(xhr.url).toBe("/api/v1/files");
    expect(xhr.headers.Authorization).toMatch(/^Bearer access-/);
    expect((xhr.body?.get("file") as File).name).toBe("customers.csv");
    const bar = await screen.findByRole("progressbar", { name: "Upload progress" });
    expect(bar).toHaveAttribute("aria-valuenow", "0");
    expect(screen.getByRole("button", { name: "Uploading…" })).toBeDisabled();

    xhr.progress(30, 120);
    await waitFor(() => {
      expect(bar).toHaveAttribute("aria-valuenow", "25");
    });
    expect(screen.getByText("25%")).toBeInTheDocument();

    listed = [csv];
    xhr.respond(201, csv);
    expect(await screen.findByText("customers.csv was uploaded.")).toBeInTheDocument();
    expect(screen.queryByRole("progressbar")).not.toBeInTheDocument();
    expect(await screen.findByRole("table", { name: "Uploaded files" })).toHaveTextContent("customers.csv");
  });

  it("says clearly when the file is too large", async () => {
    installXhr();
    const { user } = await renderApp("/files");
    await user.upload(screen.getByLabelText("File"), new File(["x"], "huge.csv", { type: "text/csv" }));
    await user.click(screen.getByRole("button", { name: "Upload" }));
    lastXhr().respond(413, {
      type: "urn:datanika:problem:too-large",
      title: "Payload Too Large",
      status: 413,
      detail: "The upload is larger than 200 MB.",
    });
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The file is too large");
    expect(alert).toHaveTextContent("over the upload size limit");
    expect(alert).toHaveTextContent("The upload is larger than 200 MB.");
    expect(screen.getByRole("button", { name: "Upload" })).toBeEnabled();
  });

  it("refreshes an expired session once and sends the file again", async () => {
    installXhr();
    const { user } = await renderApp("/files");
    await user.upload(screen.getByLabelText("File"), new File(["x"], "a.csv", { type: "text/csv" }));
    await user.click(screen.getByRole("button", { name: "Upload" }));
    const first = lastXhr();
    first.respond(401, { title: "Unauthorized", status: 401 });
    await waitFor(() => {
      expect(FakeXhr.sent).toHaveLength(2);
    });
    const second = lastXhr();
    expect(second.headers.Authorization).not.toBe(first.headers.Authorization);
    second.respond(201, { ...csv, name: "a.csv" });
    expect(await screen.findByText("a.csv was uploaded.")).toBeInTheDocument();
  });

  it("lets an admin delete after confirmation; a viewer can neither upload nor delete", async () => {
    let items = [csv];
    let deleted = "";
    server.use(
      ...signedInAs("admin"),
      http.get("/api/v1/files", () => HttpResponse.json({ items, next_cursor: null })),
      http.delete("/api/v1/files/:id", ({ params }) => {
        deleted = String(params.id);
        items = [];
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const first = await renderApp("/files");
    await first.user.click(await screen.findByRole("button", { name: "Delete customers.csv" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Delete customers.csv?");
    await first.user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText("No files uploaded yet.")).toBeInTheDocument();
    expect(deleted).toBe("4");
    first.unmount();

    items = [csv];
    server.use(...signedInAs("viewer"));
    await renderApp("/files");
    await screen.findByText("customers.csv");
    expect(screen.queryByRole("button", { name: /Delete/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Upload" })).not.toBeInTheDocument();
  });

  it("shows a failed list", async () => {
    server.use(http.get("/api/v1/files", () => problem(500, "Storage unavailable.")));
    await renderApp("/files");
    expect(await screen.findByText("Storage unavailable.")).toBeInTheDocument();
  });

  it("formats sizes", () => {
    expect(formatBytes(512, "en")).toBe("512 B");
    expect(formatBytes(1536, "en")).toBe("1.5 KB");
    expect(formatBytes(1536, "de")).toBe("1,5 KB");
    expect(formatBytes(5 * 1024 ** 3, "en")).toBe("5 GB");
  });
});
