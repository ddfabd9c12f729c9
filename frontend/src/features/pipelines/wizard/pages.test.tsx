import { screen, waitFor } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { pipeline } from "@/test/pipelines";
import { mockPipelinesApi } from "@/test/pipelines-api";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

describe("pipeline wizard: editing", () => {
  it("edits a stored pipeline with its config and keeps the schema fixed", async () => {
    const stored = pipeline({
      config: {
        mode: "single_table",
        table: "public.orders",
        source_schema: "public",
        write_disposition: "merge",
        primary_key: ["order_id"],
        batch_size: 1000,
        schema_contract: { tables: "evolve", columns: "evolve", data_type: "freeze" },
        verify: "count",
        naming: "snake_case",
      },
    });
    mockPipelinesApi([stored]);
    let patch: Record<string, unknown> | null = null;
    server.use(
      http.patch("/api/v1/pipelines/:id", async ({ request }) => {
        patch = (await request.json()) as Record<string, unknown>;
        return HttpResponse.json(stored);
      }),
    );
    const { user, router } = await renderApp("/pipelines/21/edit");
    expect(await screen.findByLabelText("Name")).toHaveValue("Orders to warehouse");
    await user.click(screen.getByRole("button", { name: /Destination/ }));
    expect(await screen.findByLabelText("Destination schema")).toBeDisabled();
    expect(screen.getByLabelText("Destination schema")).toHaveValue("orders_to_warehouse");
    await user.click(screen.getByRole("button", { name: /Loading/ }));
    expect(await screen.findByRole("radio", { name: "Merge" })).toBeChecked();
    expect(screen.getByLabelText("Batch size")).toHaveValue("1000");
    await user.click(screen.getByRole("button", { name: /Review/ }));
    await user.click(await screen.findByRole("button", { name: "Save changes" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/pipelines/21");
    });
    expect(patch).not.toHaveProperty("destination_schema");
    expect(patch).toMatchObject({
      name: "Orders to warehouse",
      config: { mode: "single_table", table: "public.orders", primary_key: "order_id", batch_size: 1000 },
    });
  });
});
