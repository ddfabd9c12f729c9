import { screen, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { run } from "@/test/pipelines";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import { nodeName, sampleColumns } from "./NodesTable";

describe("nodes of a transform run", () => {
  it("names nodes without their package and lists sample columns in first-seen order", () => {
    expect(nodeName("model.datanika.stg_orders")).toBe("stg_orders");
    expect(nodeName("test.datanika.unique_orders_id.abc123")).toBe("unique_orders_id.abc123");
    expect(nodeName("odd")).toBe("odd");
    expect(sampleColumns([{ id: 1 }, { id: 2, n: 3 }])).toEqual(["id", "n"]);
  });

  it("shows each node's status, rows and time beside the log, with a failing test's sample rows", async () => {
    const transformRun = run({
      id: 900,
      target_type: "transformation",
      target_id: 4,
      target_name: "orders",
      status: "failed",
      stats: {
        phase: "done",
        nodes: [
          { unique_id: "model.datanika.orders", name: "", resource_type: "model", status: "success", rows_affected: 42, failures: 0, message: "", seconds: 1.5 },
          {
            unique_id: "test.datanika.unique_orders_id.c5af1ff4b1",
            name: "unique_orders_id",
            resource_type: "test",
            status: "fail",
            rows_affected: 0,
            failures: 2,
            message: "Got 2 results, configured to fail if != 0",
            seconds: 0.2,
            sample_rows: [{ id: 7, n_records: 2 }],
          },
        ],
      },
    });
    server.use(
      http.get("/api/v1/runs/:id", () => HttpResponse.json(transformRun)),
      http.get("/api/v1/runs/:id/logs/stream", () => new HttpResponse("event: end\ndata: {}\n\n", { headers: { "Content-Type": "text/event-stream" } })),
    );
    await renderApp("/runs/900");
    const table = await screen.findByRole("table", { name: "Nodes" });
    const rows = within(table).getAllByRole("row");
    const model = rows.find((row) => row.textContent.includes("orders") && row.getAttribute("data-status") === "success");
    const test = rows.find((row) => row.getAttribute("data-status") === "fail");
    if (!model || !test) throw new Error("rows missing");
    expect(within(model).getByText("Success")).toBeInTheDocument();
    expect(within(model).getByText("42")).toBeInTheDocument();
    expect(within(test).getByText("Fail")).toBeInTheDocument();
    // A node shows its name (a test's id ends in a hash); one recorded without a name, its id's.
    expect(within(test).getByText("unique_orders_id")).toHaveAttribute("title", "test.datanika.unique_orders_id.c5af1ff4b1");
    expect(within(model).getByText("orders")).toHaveAttribute("title", "model.datanika.orders");
    expect(within(test).getByText("2 failing rows")).toBeInTheDocument();
    expect(within(table).getByText("Got 2 results, configured to fail if != 0")).toBeInTheDocument();
    expect(within(table).getByText("n_records")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "orders" })).toHaveAttribute("href", "/transformations/4");
    expect(screen.queryByRole("table", { name: "Tables" })).not.toBeInTheDocument();
    expect(screen.getByText("Transforming")).toBeInTheDocument();
  });
});
