import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { problem } from "@/test/identity";
import { pipeline } from "@/test/pipelines";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import { browserTimeZone } from "./api";

const schedule: Schemas["Schedule"] = {
  id: 3,
  target_type: "pipeline",
  target_id: 21,
  target_name: "Orders to warehouse",
  cron: "30 2 * * 1-5",
  timezone: "America/New_York",
  is_active: true,
  downstream: true,
  misfire_grace_seconds: 300,
  next_fire_at: "2026-03-09T06:30:00Z",
  last_fire_at: null,
  overdue: false,
  description: "At 02:30, Monday through Friday",
  created_at: "2026-03-01T00:00:00Z",
  updated_at: "2026-03-01T00:00:00Z",
};

function mockPreview(asked: { cron: string; timezone: string }[]) {
  server.use(
    http.post("/api/v1/schedules/preview", async ({ request }) => {
      const body = (await request.json()) as { cron: string; timezone: string; count: number };
      asked.push(body);
      if (body.cron.startsWith("61")) {
        return problem(422, "The cron expression is invalid.", { errors: [{ field: "cron", message: "minute 61 is out of range 0-59" }] });
      }
      const answer: Schemas["SchedulePreview"] = {
        description: `Described: ${body.cron}`,
        next: [1, 2, 3, 4, 5].map((n) => ({ at: `2026-03-0${String(n)}T12:00:00Z`, local: `2026-03-0${String(n)}T12:00:00Z` })),
      };
      return HttpResponse.json(answer);
    }),
  );
}

describe("schedules page", () => {
  it("lists schedules with their zone, next fire and state, and pauses one", async () => {
    const patches: unknown[] = [];
    server.use(
      http.get("/api/v1/schedules", () => HttpResponse.json({ items: [schedule], next_cursor: null })),
      http.patch("/api/v1/schedules/:id", async ({ request }) => {
        patches.push(await request.json());
        return HttpResponse.json({ ...schedule, is_active: false, next_fire_at: null });
      }),
    );
    const { user } = await renderApp("/schedules");
    const table = await screen.findByRole("table", { name: "Schedules" });
    const row = within(table).getByRole("row", { name: /Orders to warehouse/ });
    expect(within(row).getByRole("link", { name: "Orders to warehouse" })).toHaveAttribute("href", "/pipelines/21");
    expect(row).toHaveTextContent("30 2 * * 1-5");
    expect(row).toHaveTextContent("At 02:30, Monday through Friday");
    expect(row).toHaveTextContent("America/New_York");
    // 06:30 UTC is 02:30 in New York on 9 March 2026, the day after the change to EDT.
    const next = row.querySelector("time");
    expect(next).toHaveAttribute("datetime", "2026-03-09T06:30:00Z");
    expect(next).toHaveTextContent(/02:30/);
    expect(row).toHaveTextContent("Active");
    await user.click(within(row).getByRole("button", { name: "Pause Orders to warehouse" }));
    await waitFor(() => {
      expect(patches).toEqual([{ is_active: false }]);
    });
  });

  it("builds the expression from a preset, previews it in the chosen zone, shows a 422 and creates the schedule", async () => {
    const asked: { cron: string; timezone: string }[] = [];
    let created: unknown = null;
    mockPreview(asked);
    server.use(
      http.get("/api/v1/schedules", () => HttpResponse.json({ items: [], next_cursor: null })),
      http.get("/api/v1/pipelines", () => HttpResponse.json({ items: [pipeline()], next_cursor: null })),
      http.get("/api/v1/transformations", () => HttpResponse.json({ items: [], next_cursor: null })),
      http.get("/api/v1/jobs", () => HttpResponse.json({ items: [], next_cursor: null })),
      http.post("/api/v1/schedules", async ({ request }) => {
        created = await request.json();
        return HttpResponse.json({ ...schedule, id: 4 }, { status: 201 });
      }),
    );
    const { user } = await renderApp("/schedules");
    expect(await screen.findByText("No schedules yet. Nothing runs unless someone presses Run.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "New schedule" }));
    const form = await screen.findByRole("form", { name: "Schedule" });
    expect(within(form).getByLabelText("Time zone")).toHaveValue(browserTimeZone());
    expect(within(form).getByLabelText("Cron expression")).toHaveValue("0 2 * * *");
    expect(await within(form).findByText("Described: 0 2 * * *")).toBeInTheDocument();
    expect(within(within(form).getByRole("list", { name: "Next fires" })).getAllByRole("listitem")).toHaveLength(5);

    await user.selectOptions(within(form).getByLabelText("Repeat"), "weekdays");
    // jsdom's time input takes a value as a whole, as a browser's picker gives it.
    fireEvent.change(within(form).getByLabelText("Time"), { target: { value: "07:30" } });
    expect(within(form).getByLabelText("Cron expression")).toHaveValue("30 7 * * 1-5");
    expect(within(form).getByLabelText("Day of week")).toHaveValue("1-5");
    await user.selectOptions(within(form).getByLabelText("Time zone"), "Europe/London");
    await waitFor(() => {
      expect(asked.at(-1)).toEqual({ cron: "30 7 * * 1-5", timezone: "Europe/London", count: 5 });
    });
    expect(await within(form).findByText("Described: 30 7 * * 1-5")).toBeInTheDocument();

    // Each field can be edited on its own; the expression follows and the builder becomes custom.
    const month = within(form).getByLabelText("Month");
    await user.clear(month);
    await user.type(month, "JAN");
    expect(within(form).getByLabelText("Cron expression")).toHaveValue("30 7 * JAN 1-5");
    expect(within(form).getByLabelText("Repeat")).toHaveValue("custom");

    // Typing the expression is allowed and feeds the builder back.
    const expression = within(form).getByLabelText("Cron expression");
    await user.clear(expression);
    await user.type(expression, "61 * * * *");
    expect(await within(form).findByText("minute 61 is out of range 0-59")).toBeInTheDocument();
    expect(within(form).getByLabelText("Repeat")).toHaveValue("custom");
    await user.clear(expression);
    await user.type(expression, "15 * * * *");
    expect(within(form).getByLabelText("Repeat")).toHaveValue("hourly");
    expect(within(form).getByLabelText("Minute past the hour")).toHaveValue(15);
    await waitFor(() => {
      expect(within(form).queryByText("minute 61 is out of range 0-59")).not.toBeInTheDocument();
    });

    await user.click(within(form).getByRole("button", { name: "Save schedule" }));
    expect(await within(form).findByText("Choose a node.")).toBeInTheDocument();
    await user.selectOptions(within(form).getByLabelText("Node"), "pipeline:21");
    await user.click(within(form).getByLabelText("Also run everything downstream, as one DAG run"));
    await user.click(within(form).getByRole("button", { name: "Save schedule" }));
    await waitFor(() => {
      expect(created).toEqual({
        target_type: "pipeline",
        target_id: 21,
        cron: "15 * * * *",
        timezone: "Europe/London",
        is_active: true,
        downstream: true,
        misfire_grace_seconds: 300,
      });
    });
    await waitFor(() => {
      expect(screen.queryByRole("form", { name: "Schedule" })).not.toBeInTheDocument();
    });
  });
});
