import { screen, waitFor } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import { jobBody, jobForm, jobFormErrors } from "./form";

const job: Schemas["Job"] = {
  id: 31,
  name: "nightly",
  description: "",
  command: "build",
  select: "tag:nightly",
  exclude: "",
  full_refresh: false,
  threads: 4,
  destination_connection_id: 1,
  last_run: null,
  created_at: "2025-03-04T05:06:06Z",
  updated_at: "2025-03-04T05:06:06Z",
};

describe("job form", () => {
  it("needs a name and 1 to 32 threads, and trims what it sends", () => {
    expect(jobFormErrors(jobForm(null))).toEqual({ name: "required" });
    expect(jobFormErrors({ ...jobForm(job), threads: "0" })).toEqual({ threads: "threadsRange" });
    expect(jobFormErrors({ ...jobForm(job), threads: "33" })).toEqual({ threads: "threadsRange" });
    expect(jobFormErrors({ ...jobForm(job), threads: "2.5" })).toEqual({ threads: "threadsRange" });
    expect(jobBody({ ...jobForm(job), name: " n ", select: " +orders ", fullRefresh: true, threads: "8" })).toEqual({
      name: "n",
      description: "",
      command: "build",
      select: "+orders",
      exclude: "",
      full_refresh: true,
      threads: 8,
      destination_connection_id: 1,
    });
    // A new job left on the Warehouse sends no destination: the server's default.
    expect(jobBody({ ...jobForm(null), name: "w" })).not.toHaveProperty("destination_connection_id");
  });
});

describe("jobs pages", () => {
  it("lists jobs and creates one with an Idempotency-Key", async () => {
    let body: unknown = null;
    let key: string | null = null;
    server.use(
      http.get("/api/v1/jobs", () => HttpResponse.json({ items: [job], next_cursor: null })),
      http.get("/api/v1/jobs/:id", () => HttpResponse.json({ ...job, id: 32, name: "hourly" })),
      http.post("/api/v1/jobs/plan", () => HttpResponse.json({ nodes: [] })),
      http.post("/api/v1/jobs", async ({ request }) => {
        body = await request.json();
        key = request.headers.get("Idempotency-Key");
        return HttpResponse.json({ ...job, id: 32, name: "hourly" }, { status: 201 });
      }),
    );
    const { user, router } = await renderApp("/jobs");
    expect(await screen.findByRole("link", { name: "nightly" })).toHaveAttribute("href", "/jobs/31");
    expect(screen.getByText("tag:nightly")).toBeInTheDocument();
    await user.click(screen.getByRole("link", { name: "New job" }));
    await user.click(await screen.findByRole("button", { name: "Save" }));
    expect(await screen.findByText("Required.")).toBeInTheDocument();
    expect(body).toBeNull();
    await user.type(screen.getByLabelText("Name"), "hourly");
    await user.selectOptions(screen.getByLabelText("Command"), "run");
    await user.type(screen.getByLabelText("Select"), "stg_orders+");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/jobs/32");
    });
    expect(body).toMatchObject({ name: "hourly", command: "run", select: "stg_orders+", threads: 4, full_refresh: false });
    expect(key).toBeTruthy();
  });
});

describe("job selection preview", () => {
  it("lists the nodes the selector picks as it is typed, and says why a selector is refused", async () => {
    const asked: unknown[] = [];
    server.use(
      http.get("/api/v1/jobs/:id", () => HttpResponse.json(job)),
      http.post("/api/v1/jobs/plan", async ({ request }) => {
        const body = (await request.json()) as { select?: string; command: string };
        asked.push(body);
        if (body.select === "colour:blue") {
          return HttpResponse.json(
            { type: "about:blank", title: "Unprocessable", status: 422, detail: "The selector is invalid.", errors: [{ field: "select", message: "unknown method colour" }] },
            { status: 422 },
          );
        }
        if (body.select === "stg+") {
          return HttpResponse.json({
            nodes: [
              { unique_id: "model.shop.stg", name: "stg", resource_type: "model" },
              { unique_id: "model.shop.orders", name: "orders", resource_type: "model" },
              { unique_id: "test.shop.unique_orders_id", name: "unique_orders_id", resource_type: "test" },
            ],
          });
        }
        return HttpResponse.json({ nodes: [] });
      }),
    );
    const { user } = await renderApp("/jobs/31");
    expect(await screen.findByText("The selector picks no node for this command.")).toBeInTheDocument();
    expect(asked[0]).toEqual({ command: "build", select: "tag:nightly", exclude: "", destination_connection_id: 1 });
    const select = screen.getByLabelText("Select");
    await user.clear(select);
    await user.type(select, "stg+");
    expect(await screen.findByText("3 nodes, in the order they run:")).toBeInTheDocument();
    expect(screen.getByTitle("model.shop.orders")).toHaveTextContent("model orders");
    await user.clear(select);
    await user.type(select, "colour:blue");
    expect(await screen.findByText("unknown method colour")).toBeInTheDocument();
  });
});
