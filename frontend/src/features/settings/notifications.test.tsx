import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { signedInAs } from "@/test/identity";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

const channel: Schemas["Notification"] = {
  id: 4,
  name: "Ops webhook",
  channel: "webhook",
  url: "https://hooks.example.com/datanika",
  events: ["failure", "recovery"],
  target_type: null,
  target_id: null,
  is_active: true,
  created_at: "2026-03-01T00:00:00Z",
};

function delivery(overrides: Partial<Schemas["NotificationDelivery"]> = {}): Schemas["NotificationDelivery"] {
  return {
    id: 70,
    at: "2026-03-02T10:00:00Z",
    event: "run.failed",
    run_id: 610,
    status_code: 503,
    error: "Service Unavailable",
    attempt: 2,
    message_id: "msg_1",
    state: "retrying",
    next_attempt_at: "2026-03-02T10:05:00Z",
    ...overrides,
  };
}

describe("notifications settings", () => {
  it("creates a webhook channel and shows its secret once, with a warning", async () => {
    let body: unknown = null;
    server.use(
      http.get("/api/v1/notifications", () => HttpResponse.json({ items: [], next_cursor: null })),
      http.post("/api/v1/notifications", async ({ request }) => {
        body = await request.json();
        return HttpResponse.json({ ...channel, secret: "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0" }, { status: 201 });
      }),
    );
    const { user } = await renderApp("/settings/notifications");
    expect(await screen.findByText("No notification channel yet: nobody hears about a failed run.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "New channel" }));
    const form = await screen.findByRole("form", { name: "Notification channel" });
    await user.click(within(form).getByRole("button", { name: "New channel" }));
    expect(within(form).getByText("Enter a name.")).toBeInTheDocument();
    expect(within(form).getByText("Enter an http(s) URL.")).toBeInTheDocument();
    expect(body).toBeNull();
    await user.type(within(form).getByLabelText("Name"), "Ops webhook");
    await user.type(within(form).getByLabelText("URL"), "https://hooks.example.com/datanika");
    await user.click(within(form).getByRole("checkbox", { name: /Recovery/ }));
    await user.click(within(form).getByRole("button", { name: "New channel" }));
    expect(await screen.findByTestId("webhook-secret")).toHaveTextContent("whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0");
    expect(screen.getByText("Copy the secret now")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Copy secret" })).toBeInTheDocument();
    expect(body).toEqual({
      name: "Ops webhook",
      url: "https://hooks.example.com/datanika",
      events: ["failure", "recovery"],
      is_active: true,
      target_type: null,
      target_id: null,
      channel: "webhook",
    });
    await user.click(screen.getByRole("button", { name: "Done" }));
    await waitFor(() => {
      expect(screen.queryByTestId("webhook-secret")).not.toBeInTheDocument();
    });
  });

  it("tests a channel and shows the attempt's status code, and redelivers from the delivery log", async () => {
    const redelivered: string[] = [];
    server.use(
      http.get("/api/v1/notifications", () => HttpResponse.json({ items: [channel], next_cursor: null })),
      http.post("/api/v1/notifications/:id/test", () =>
        HttpResponse.json(delivery({ id: 71, event: "test", run_id: null, status_code: 200, error: null, attempt: 1, state: "delivered" })),
      ),
      http.get("/api/v1/notifications/:id/deliveries", () => HttpResponse.json({ items: [delivery()], next_cursor: null })),
      http.post("/api/v1/notifications/:id/deliveries/:deliveryId/redeliver", ({ params }) => {
        redelivered.push(`${String(params.id)}/${String(params.deliveryId)}`);
        return HttpResponse.json(delivery({ id: 72, attempt: 1, state: "pending", status_code: null, error: null }), { status: 202 });
      }),
    );
    const { user } = await renderApp("/settings/notifications");
    const item = await screen.findByRole("listitem", { name: "Ops webhook" });
    expect(item).toHaveTextContent("Every node of the organization");
    expect(item).toHaveTextContent("Failure");
    await user.click(within(item).getByRole("button", { name: "Test Ops webhook" }));
    expect(await within(item).findByText("Test delivered: HTTP 200")).toBeInTheDocument();

    await user.click(within(item).getByRole("button", { name: "Delivery log" }));
    const log = await within(item).findByRole("table", { name: "Deliveries of Ops webhook" });
    const row = within(log).getByRole("row", { name: /run\.failed/ });
    expect(row).toHaveTextContent("503");
    expect(row).toHaveTextContent("Service Unavailable");
    expect(row).toHaveTextContent("Retrying");
    expect(within(row).getByRole("link", { name: "Run #610" })).toHaveAttribute("href", "/runs/610");
    await user.click(within(row).getByRole("button", { name: "Redeliver delivery 70" }));
    await waitFor(() => {
      expect(redelivered).toEqual(["4/70"]);
    });
  });

  it("is for admins only", async () => {
    server.use(...signedInAs("editor"));
    await renderApp("/settings/notifications");
    expect(await screen.findByText("Only admins can see and change notification channels.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "New channel" })).not.toBeInTheDocument();
  });
});
