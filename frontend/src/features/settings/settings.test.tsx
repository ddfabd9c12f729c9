import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { problem, signedInAs, testUser } from "@/test/identity";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

const members: Schemas["Member"][] = [
  { user_id: testUser.id, email: testUser.email, full_name: testUser.full_name, role: "admin", joined_at: "2025-01-01T00:00:00Z" },
  { user_id: 8, email: "owner@example.com", full_name: "Olive Owner", role: "owner", joined_at: "2025-01-01T00:00:00Z" },
  { user_id: 9, email: "vic@example.com", full_name: "Vic Viewer", role: "viewer", joined_at: "2025-01-01T00:00:00Z" },
];

function useMembers() {
  server.use(http.get("/api/v1/members", () => HttpResponse.json({ items: members, next_cursor: null })));
}

describe("members", () => {
  it("lets an admin invite an unknown email and shows the accept link when no email was sent", async () => {
    useMembers();
    server.use(...signedInAs("admin"));
    let sent: unknown;
    server.use(
      http.post("/api/v1/members", async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json<Schemas["Invitation"]>(
          {
            id: 3,
            email: "new@example.com",
            role: "viewer",
            expires_at: "2030-01-01T00:00:00Z",
            accept_url: "http://localhost/invite?token=abc",
            emailed: false,
          },
          { status: 202 },
        );
      }),
    );
    const { user } = await renderApp("/settings/members");
    const role = screen.getByLabelText("Role");
    expect(within(role).getAllByRole("option").map((o) => o.textContent)).toEqual(["Admin", "Editor", "Viewer"]);
    await user.type(screen.getByLabelText("Email"), "new@example.com");
    await user.click(screen.getByRole("button", { name: "Invite" }));
    expect(await screen.findByTestId("accept-url")).toHaveTextContent("http://localhost/invite?token=abc");
    expect(sent).toEqual({ email: "new@example.com", role: "viewer" });
    const [copy] = screen.getAllByRole("button", { name: "Copy link" });
    if (!copy) throw new Error("no copy button");
    await user.click(copy);
    expect(await navigator.clipboard.readText()).toBe("http://localhost/invite?token=abc");
  });

  it("says when an existing user became a member at once", async () => {
    useMembers();
    server.use(...signedInAs("admin"));
    server.use(
      http.post("/api/v1/members", () =>
        HttpResponse.json<Schemas["Member"]>(
          { user_id: 10, email: "old@example.com", full_name: "Old Hand", role: "editor", joined_at: "2025-01-01T00:00:00Z" },
          { status: 201 },
        ),
      ),
    );
    const { user } = await renderApp("/settings/members");
    await user.type(screen.getByLabelText("Email"), "old@example.com");
    await user.selectOptions(screen.getByLabelText("Role"), "editor");
    await user.click(screen.getByRole("button", { name: "Invite" }));
    expect(await screen.findByText("old@example.com is now a member (Editor).")).toBeInTheDocument();
  });

  it("shows the server's field error for the email", async () => {
    useMembers();
    server.use(...signedInAs("admin"));
    server.use(
      http.post("/api/v1/members", () =>
        problem(409, "Already a member.", { errors: [{ field: "email", message: "is already a member" }] }),
      ),
    );
    const { user } = await renderApp("/settings/members");
    await user.type(screen.getByLabelText("Email"), "vic@example.com");
    await user.click(screen.getByRole("button", { name: "Invite" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Already a member.");
    expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("is already a member");
  });

  it("does not let an admin change or remove an owner; changes other roles and removes with confirmation", async () => {
    useMembers();
    server.use(...signedInAs("admin"));
    let patched: unknown;
    let removed = false;
    server.use(
      http.patch("/api/v1/members/9", async ({ request }) => {
        patched = await request.json();
        return HttpResponse.json({ ...members[2], role: "editor" });
      }),
      http.delete("/api/v1/members/9", () => {
        removed = true;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user } = await renderApp("/settings/members");
    await screen.findByText("Olive Owner");
    expect(screen.queryByLabelText("Role of Olive Owner")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Remove Olive Owner" })).not.toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Role of Vic Viewer"), "editor");
    await waitFor(() => {
      expect(patched).toEqual({ role: "editor" });
    });
    await user.click(screen.getByRole("button", { name: "Remove Vic Viewer" }));
    const dialog = await screen.findByRole("alertdialog", { name: "Remove Vic Viewer?" });
    expect(removed).toBe(false);
    await user.click(within(dialog).getByRole("button", { name: "Remove" }));
    await waitFor(() => {
      expect(removed).toBe(true);
    });
  });

  it("offers the owner role only to owners", async () => {
    useMembers();
    server.use(...signedInAs("owner"));
    await renderApp("/settings/members");
    const select = await screen.findByLabelText("Role of Olive Owner");
    expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual(["Owner", "Admin", "Editor", "Viewer"]);
  });

  it("shows a viewer the members without any controls", async () => {
    useMembers();
    server.use(...signedInAs("viewer"));
    await renderApp("/settings/members");
    expect(await screen.findByText("Vic Viewer")).toBeInTheDocument();
    expect(screen.getByText("Needs the Admin role")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Invite" })).not.toBeInTheDocument();
    expect(screen.queryByRole("combobox")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Remove/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Pending invitations" })).not.toBeInTheDocument();
  });

  it("revokes a pending invitation after confirmation", async () => {
    server.use(...signedInAs("admin"));
    let revoked = false;
    server.use(
      http.get("/api/v1/invitations", () =>
        HttpResponse.json({
          items: [{ id: 4, email: "late@example.com", role: "editor", expires_at: "2030-01-01T00:00:00Z", accept_url: "http://x/invite?token=t" }],
          next_cursor: null,
        }),
      ),
      http.delete("/api/v1/invitations/4", () => {
        revoked = true;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user } = await renderApp("/settings/members");
    await user.click(await screen.findByRole("button", { name: "Revoke late@example.com" }));
    const dialog = await screen.findByRole("alertdialog");
    await user.click(within(dialog).getByRole("button", { name: "Revoke" }));
    await waitFor(() => {
      expect(revoked).toBe(true);
    });
  });
});

const key: Schemas["ApiKey"] = {
  id: 5,
  name: "CI",
  prefix: "dnk_ab12",
  scopes: ["read", "run"],
  expires_at: null,
  last_used_at: null,
  created_by: testUser,
  created_at: "2025-01-01T00:00:00Z",
};

describe("API keys", () => {
  it("lists keys and creates one, showing the raw key once with a copy button", async () => {
    server.use(...signedInAs("admin"));
    let sent: unknown;
    server.use(
      http.get("/api/v1/api-keys", () => HttpResponse.json({ items: [key], next_cursor: null })),
      http.post("/api/v1/api-keys", async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json<Schemas["ApiKeyCreated"]>(
          { ...key, id: 6, name: "Deploy", scopes: ["read", "write"], key: "dnk_secret_value" },
          { status: 201 },
        );
      }),
    );
    const { user } = await renderApp("/settings/api-keys");
    expect(await screen.findByText("dnk_ab12…")).toBeInTheDocument();
    expect(screen.getByText("Not used yet")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Create API key" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: "Create API key" }));
    expect(within(dialog).getByLabelText("Name")).toHaveAccessibleDescription("Enter a name.");
    await user.type(within(dialog).getByLabelText("Name"), "Deploy");
    await user.click(within(dialog).getByRole("checkbox", { name: /Write/ }));
    await user.click(within(dialog).getByRole("button", { name: "Create API key" }));
    expect(await within(dialog).findByTestId("new-api-key")).toHaveTextContent("dnk_secret_value");
    expect(within(dialog).getByText("Copy the key now")).toBeInTheDocument();
    expect(sent).toEqual({ name: "Deploy", scopes: ["read", "write"] });
    await user.click(within(dialog).getByRole("button", { name: "Copy key" }));
    expect(await navigator.clipboard.readText()).toBe("dnk_secret_value");
    await user.click(within(dialog).getByRole("button", { name: "Done" }));
    await waitFor(() => {
      expect(screen.queryByText("dnk_secret_value")).not.toBeInTheDocument();
    });
  });

  it("revokes a key after confirmation", async () => {
    server.use(...signedInAs("owner"));
    let revoked = false;
    server.use(
      http.get("/api/v1/api-keys", () => HttpResponse.json({ items: [key], next_cursor: null })),
      http.delete("/api/v1/api-keys/5", () => {
        revoked = true;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user } = await renderApp("/settings/api-keys");
    await user.click(await screen.findByRole("button", { name: "Revoke CI" }));
    await user.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Revoke" }));
    await waitFor(() => {
      expect(revoked).toBe(true);
    });
  });

  it("tells an editor that keys need an admin", async () => {
    server.use(...signedInAs("editor"));
    await renderApp("/settings/api-keys");
    expect(screen.getByText("Needs the Admin role")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Create API key" })).not.toBeInTheDocument();
  });
});

const entry = (id: number, action: string): Schemas["AuditLog"] => ({
  id,
  at: "2025-03-04T05:06:07Z",
  actor: { type: "user", id: 7, name: "Ada Lovelace" },
  action,
  resource_type: "member",
  resource_id: "9",
  old_values: { role: "viewer", email: "vic@example.com" },
  new_values: { role: "editor", email: "vic@example.com" },
  ip: "10.0.0.1",
  user_agent: "test",
});

describe("audit log", () => {
  it("filters from the URL, pages with a cursor and expands a diff", async () => {
    server.use(...signedInAs("admin"));
    const queries: string[] = [];
    server.use(
      http.get("/api/v1/audit-logs", ({ request }) => {
        const url = new URL(request.url);
        queries.push(url.search);
        return url.searchParams.get("cursor") === "next"
          ? HttpResponse.json({ items: [entry(2, "member.remove")], next_cursor: null })
          : HttpResponse.json({ items: [entry(1, "member.update")], next_cursor: "next" });
      }),
    );
    const { user, router } = await renderApp("/settings/audit-log?action=member.update&actor_id=7");
    expect(await screen.findByText("member.update")).toBeInTheDocument();
    expect(queries[0]).toContain("action=member.update");
    expect(queries[0]).toContain("actor_id=7");
    expect(screen.getByLabelText("Action")).toHaveValue("member.update");

    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByText("member.remove")).toBeInTheDocument();
    expect(queries[1]).toContain("cursor=next");
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();

    const [toggle] = screen.getAllByRole("button", { name: /Show the changes of member.update/ });
    if (!toggle) throw new Error("no toggle");
    await user.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    const changes = screen.getByRole("table", { name: "Changes" });
    const roleRow = within(changes).getByRole("row", { name: /role/ });
    expect(roleRow).toHaveTextContent("viewer");
    expect(roleRow).toHaveTextContent("editor");
    expect(roleRow).toHaveAttribute("data-changed", "true");
    expect(within(changes).getByRole("row", { name: /email/ })).not.toHaveAttribute("data-changed");

    await user.clear(screen.getByLabelText("Resource type"));
    await user.type(screen.getByLabelText("Resource type"), "api_key");
    await user.click(screen.getByRole("button", { name: "Apply filters" }));
    await waitFor(() => {
      expect(router.state.location.search).toEqual({ action: "member.update", actor_id: 7, resource_type: "api_key" });
    });
  });

  it("ignores invalid filters in the URL", async () => {
    server.use(...signedInAs("admin"));
    const queries: string[] = [];
    server.use(
      http.get("/api/v1/audit-logs", ({ request }) => {
        queries.push(new URL(request.url).search);
        return HttpResponse.json({ items: [], next_cursor: null });
      }),
    );
    await renderApp("/settings/audit-log?actor_id=-3&since=yesterday");
    expect(await screen.findByText("No entries match these filters.")).toBeInTheDocument();
    expect(queries[0]).not.toContain("actor_id");
    expect(queries[0]).not.toContain("since");
  });

  it("tells a viewer that the audit log needs an admin", async () => {
    server.use(...signedInAs("viewer"));
    await renderApp("/settings/audit-log");
    expect(screen.getByText("Needs the Admin role")).toBeInTheDocument();
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
  });
});

describe("organization", () => {
  it("shows a viewer the settings read-only", async () => {
    server.use(...signedInAs("viewer"));
    await renderApp("/settings/organization");
    expect(await screen.findByText("analytics")).toBeInTheDocument();
    expect(screen.queryByRole("textbox")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete organization" })).not.toBeInTheDocument();
  });

  it("lets an admin edit, mapping field errors, but not delete", async () => {
    server.use(...signedInAs("admin"));
    let sent: unknown;
    server.use(
      http.patch("/api/v1/org", async ({ request }) => {
        sent = await request.json();
        return problem(409, "That slug is taken.", { errors: [{ field: "slug", message: "is taken" }] });
      }),
    );
    const { user } = await renderApp("/settings/organization");
    const slug = await screen.findByLabelText("Slug");
    await user.clear(slug);
    await user.type(slug, "Bad Slug");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    expect(slug).toHaveAccessibleDescription(expect.stringContaining("Use 2 to 63") as string);
    await user.clear(slug);
    await user.type(slug, "taken");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("That slug is taken.");
    expect(slug).toHaveAccessibleDescription(expect.stringContaining("is taken") as string);
    expect(sent).toEqual({ slug: "taken" });
    expect(screen.queryByRole("button", { name: "Delete organization" })).not.toBeInTheDocument();
  });

  it("lets the owner delete the organization after typing its slug", async () => {
    let deleted = false;
    server.use(
      http.delete("/api/v1/org", () => {
        deleted = true;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user, router } = await renderApp("/settings/organization");
    await user.click(await screen.findByRole("button", { name: "Delete organization" }));
    const dialog = await screen.findByRole("alertdialog");
    const confirm = within(dialog).getByRole("button", { name: "Delete organization" });
    expect(confirm).toBeDisabled();
    await user.type(within(dialog).getByLabelText("Type analytical-engines to confirm"), "analytical-engines");
    expect(confirm).toBeEnabled();
    await user.click(confirm);
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/sign-in");
    });
    expect(deleted).toBe(true);
  });
});
