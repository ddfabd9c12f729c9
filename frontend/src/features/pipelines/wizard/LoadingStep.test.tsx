import { screen, waitFor, within } from "@testing-library/react";
import { HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { pipeline } from "@/test/pipelines";
import { capturePipelinePost, mockPipelinesApi, toTablesStep } from "@/test/pipelines-api";
import { renderApp } from "@/test/render";

describe("pipeline wizard: loading step", () => {
  it("builds a single_table merge with the catalog's key and an incremental cursor", async () => {
    mockPipelinesApi();
    const { bodies } = capturePipelinePost(() => HttpResponse.json(pipeline({ id: 31 }), { status: 201 }));
    const { user } = await renderApp("/pipelines/new");
    await toTablesStep(user, "Orders sync");
    await user.click(screen.getByRole("checkbox", { name: "public.orders" }));
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.selectOptions(await screen.findByLabelText("Destination connection"), "11");
    await user.type(screen.getByLabelText("Destination schema"), "raw_orders");
    await user.click(screen.getByRole("button", { name: "Next" }));

    await user.click(await screen.findByRole("radio", { name: "Merge" }));
    const keys = screen.getByRole("group", { name: "Primary key of public.orders" });
    expect(within(keys).getByRole("checkbox", { name: "order_id" })).toBeChecked();
    await user.click(screen.getByLabelText(/Load only new and changed rows/));
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByText("Choose the cursor column.")).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Cursor column"), "total");
    await user.type(screen.getByLabelText("Lag"), "5m");
    await user.selectOptions(screen.getByLabelText("New columns"), "freeze");
    await user.click(screen.getByRole("button", { name: "Add filter" }));
    const filter = screen.getByRole("group", { name: "Filter 1" });
    await user.selectOptions(within(filter).getByLabelText("Column"), "total");
    await user.selectOptions(within(filter).getByLabelText("Operator"), "gt");
    await user.type(within(filter).getByLabelText("Value"), "100");
    await user.click(screen.getByRole("button", { name: "Next" }));

    await screen.findByTestId("pipeline-request");
    await user.click(screen.getByRole("button", { name: "Create pipeline" }));
    await waitFor(() => {
      expect(bodies).toHaveLength(1);
    });
    expect(bodies[0]).toMatchObject({
      destination_schema: "raw_orders",
      config: {
        mode: "single_table",
        table: "public.orders",
        write_disposition: "merge",
        primary_key: "order_id",
        incremental: { cursor_path: "total", row_order: "asc", lag: "5m" },
        schema_contract: { tables: "evolve", columns: "freeze", data_type: "evolve" },
        filters: [{ column: "total", op: "gt", value: 100 }],
      },
    });
  });

  it("round-trips the config through the raw JSON toggle", async () => {
    mockPipelinesApi();
    const { bodies } = capturePipelinePost(() => HttpResponse.json(pipeline({ id: 32 }), { status: 201 }));
    const { user } = await renderApp("/pipelines/new");
    await toTablesStep(user);
    await user.click(screen.getByRole("checkbox", { name: "public.customers" }));
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.selectOptions(await screen.findByLabelText("Destination connection"), "11");
    await user.click(screen.getByRole("button", { name: "Next" }));

    await user.click(await screen.findByLabelText("Edit the whole config as JSON"));
    const editor = screen.getByLabelText("Config (JSON)");
    const shown = JSON.parse((editor as HTMLTextAreaElement).value) as Record<string, unknown>;
    expect(shown).toMatchObject({ mode: "full_database", table_names: ["customers"], write_disposition: "append" });

    // Broken JSON keeps the raw view and says why.
    await user.clear(editor);
    await user.type(editor, "{{not json");
    await user.click(screen.getByLabelText("Edit the whole config as JSON"));
    expect(await screen.findByText(/This is not valid JSON/)).toBeInTheDocument();
    expect(screen.getByLabelText("Config (JSON)")).toBeInTheDocument();

    // A valid edit flows back into the form.
    const edited = { ...shown, write_disposition: "replace", verify: "checksum", schema_contract: "freeze" };
    await user.clear(editor);
    await user.click(editor);
    await user.paste(JSON.stringify(edited));
    await user.click(screen.getByLabelText("Edit the whole config as JSON"));
    expect(await screen.findByRole("radio", { name: "Replace" })).toBeChecked();
    expect(screen.getByLabelText("Verification")).toHaveValue("checksum");
    expect(screen.getByLabelText("Changed data types")).toHaveValue("freeze");

    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.click(await screen.findByRole("button", { name: "Create pipeline" }));
    await waitFor(() => {
      expect(bodies).toHaveLength(1);
    });
    expect(bodies[0]?.config).toEqual({
      ...shown,
      write_disposition: "replace",
      verify: "checksum",
      schema_contract: { tables: "freeze", columns: "freeze", data_type: "freeze" },
    });
  });
});
