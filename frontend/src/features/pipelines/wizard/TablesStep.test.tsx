import { screen, waitFor } from "@testing-library/react";
import { HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { pipeline } from "@/test/pipelines";
import { capturePipelinePost, mockPipelinesApi, toTablesStep } from "@/test/pipelines-api";
import { renderApp } from "@/test/render";

describe("pipeline wizard: tables step", () => {
  it("creates an append pipeline over the tables picked with search and select-all", async () => {
    mockPipelinesApi();
    const { bodies, keys } = capturePipelinePost(() => HttpResponse.json(pipeline({ id: 30, name: "Orders" }), { status: 201 }));
    const { user, router } = await renderApp("/pipelines/new");
    await toTablesStep(user);

    // Nothing picked: the step says so.
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByText("Choose at least one table.")).toBeInTheDocument();

    await user.type(screen.getByRole("searchbox", { name: "Search tables" }), "o");
    expect(screen.queryByRole("checkbox", { name: "reporting.daily_totals" })).toBeInTheDocument();
    await user.clear(screen.getByRole("searchbox", { name: "Search tables" }));
    await user.type(screen.getByRole("searchbox", { name: "Search tables" }), "public");
    expect(screen.queryByRole("checkbox", { name: "reporting.daily_totals" })).not.toBeInTheDocument();
    await user.click(screen.getByLabelText("Select all 2 tables shown"));
    expect(screen.getByRole("checkbox", { name: "public.customers" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "public.orders" })).toBeChecked();
    expect(screen.getByText("2 tables selected")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));

    // Destination: the schema defaults to the snake_case of the name.
    await user.selectOptions(await screen.findByLabelText("Destination connection"), "11");
    expect(screen.getByLabelText("Destination schema")).toHaveAttribute("placeholder", "orders");
    await user.click(screen.getByRole("button", { name: "Next" }));

    // Several tables: no incremental cursor.
    expect(await screen.findByText("Incremental loading needs exactly one table.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));

    const request = await screen.findByTestId("pipeline-request");
    expect(JSON.parse(request.textContent)).toMatchObject({
      name: "Orders",
      source_connection_id: 11,
      destination_connection_id: 11,
      config: { mode: "full_database", source_schema: "public", table_names: ["customers", "orders"], write_disposition: "append" },
    });
    await user.click(screen.getByRole("button", { name: "Create pipeline" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/pipelines/30");
    });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).not.toHaveProperty("destination_schema");
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
