import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { problem } from "@/test/identity";
import { capturePipelinePost, mockPipelinesApi, toTablesStep } from "@/test/pipelines-api";
import { renderApp } from "@/test/render";

describe("pipeline wizard: errors and steps", () => {
  it("shows the API's 422 field errors at their fields and goes to their step", async () => {
    mockPipelinesApi();
    capturePipelinePost(() =>
      problem(422, "The pipeline is not valid.", {
        errors: [
          { field: "config.incremental.cursor_path", message: "names no column of public.orders" },
          { field: "config.filters[0].value", message: "must be a number" },
          { field: "name", message: "is already taken" },
        ],
      }),
    );
    const { user } = await renderApp("/pipelines/new");
    await toTablesStep(user);
    await user.click(screen.getByRole("checkbox", { name: "public.orders" }));
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.selectOptions(await screen.findByLabelText("Destination connection"), "11");
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.click(await screen.findByLabelText(/Load only new and changed rows/));
    await user.selectOptions(screen.getByLabelText("Cursor column"), "total");
    await user.click(screen.getByRole("button", { name: "Add filter" }));
    const filter = screen.getByRole("group", { name: "Filter 1" });
    await user.selectOptions(within(filter).getByLabelText("Column"), "customer_email");
    await user.type(within(filter).getByLabelText("Value"), "x");
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.click(await screen.findByRole("button", { name: "Create pipeline" }));

    // The first step with an error is the source step (the name).
    const name = await screen.findByLabelText("Name");
    await waitFor(() => {
      expect(name).toHaveAccessibleDescription("is already taken");
    });
    expect(screen.getByRole("button", { name: /Loading.*has errors/ })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: /Loading/ }));
    expect(await screen.findByLabelText("Cursor column")).toHaveAccessibleDescription("names no column of public.orders");
    const row = screen.getByRole("group", { name: "Filter 1" });
    expect(within(row).getByLabelText("Value")).toHaveAccessibleDescription("must be a number");
  });
});
