import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { me, otherOrg, problem, signedInAs, signedOut, testOrg, tokens } from "@/test/identity";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import { session } from "./auth";

const orgBody = (org = testOrg): Schemas["Org"] => ({
  ...org,
  default_schema: "analytics",
  created_at: "2025-01-02T03:04:05Z",
  updated_at: "2025-01-02T03:04:05Z",
});

describe("route guard", () => {
  it("sends a visitor without a session to the sign-in page and back after signing in", async () => {
    server.use(...signedOut);
    const seen: (string | null)[] = [];
    server.use(
      http.post("/api/v1/auth/login", async ({ request }) => {
        expect(request.headers.get("Authorization")).toBeNull();
        expect(await request.json()).toEqual({ email: "ada@example.com", password: "correct horse battery" });
        return HttpResponse.json({ ...tokens("owner"), access_token: "signed-in-token" });
      }),
      http.get("/api/v1/org", ({ request }) => {
        seen.push(request.headers.get("Authorization"));
        return HttpResponse.json(orgBody());
      }),
    );
    const { user, router } = await renderApp("/settings/organization");
    expect(screen.getByRole("heading", { level: 1, name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/sign-in");
    expect(router.state.location.search).toEqual({ redirect: "/settings/organization" });

    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Organization" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/settings/organization");
    await screen.findByDisplayValue("Analytical Engines");
    expect(seen).toContain("Bearer signed-in-token");
    expect(session.current?.accessToken).toBe("signed-in-token");
  });

  it("keeps the status page public", async () => {
    server.use(...signedOut);
    const { router } = await renderApp("/status");
    expect(screen.getByRole("heading", { level: 1, name: "Status" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/status");
    expect(screen.getByRole("button", { name: "Account: Not signed in" })).toBeInTheDocument();
  });

  it("never redirects off the site after signing in", async () => {
    server.use(...signedOut, http.post("/api/v1/auth/login", () => HttpResponse.json(tokens("owner"))));
    const { user, router } = await renderApp("/sign-in?redirect=%2F%2Fevil.example");
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "whatever-it-is");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Dashboard" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/");
  });
});

describe("silent refresh", () => {
  it("recovers the session on load with the refresh cookie, without a body", async () => {
    let body = "unset";
    let csrf: string | null = null;
    server.use(
      http.post("/api/v1/auth/refresh", async ({ request }) => {
        body = await request.text();
        csrf = request.headers.get("X-Requested-With");
        return HttpResponse.json(tokens("editor"));
      }),
      http.get("/api/v1/me", () => HttpResponse.json(me("editor"))),
    );
    await renderApp("/runs");
    expect(screen.getByRole("heading", { level: 1, name: "Runs" })).toBeInTheDocument();
    expect(body).toBe("");
    expect(csrf).toBe("datanika");
    expect(session.current?.role).toBe("editor");
  });

  it("refreshes once on a 401 and repeats the call with the new token", async () => {
    let refreshes = 0;
    const auth: (string | null)[] = [];
    server.use(
      http.post("/api/v1/auth/refresh", () => {
        refreshes += 1;
        return HttpResponse.json({ ...tokens("owner"), access_token: `token-${String(refreshes)}` });
      }),
      http.get("/api/v1/org", ({ request }) => {
        const header = request.headers.get("Authorization");
        auth.push(header);
        return header === "Bearer token-2" ? HttpResponse.json(orgBody()) : problem(401, "Token expired.");
      }),
      http.get("/api/v1/me", ({ request }) =>
        request.headers.get("Authorization") === "Bearer token-2" ? HttpResponse.json(me()) : problem(401, "Token expired."),
      ),
    );
    await renderApp("/settings/organization");
    expect(await screen.findByDisplayValue("Analytical Engines")).toBeInTheDocument();
    expect(auth).toEqual(["Bearer token-1", "Bearer token-2"]);
    // The page load and the two 401s (org and me) share refreshes: one on load, one for both 401s.
    expect(refreshes).toBe(2);
  });

  it("sends the user to the sign-in page when the refresh fails", async () => {
    let refreshes = 0;
    server.use(
      http.post("/api/v1/auth/refresh", () => {
        refreshes += 1;
        return refreshes === 1 ? HttpResponse.json(tokens("owner")) : problem(401, "Refresh token revoked.");
      }),
      http.get("/api/v1/org", () => problem(401, "Token expired.")),
      http.get("/api/v1/me", () => problem(401, "Token expired.")),
    );
    const { router } = await renderApp("/settings/organization");
    expect(await screen.findByRole("heading", { level: 1, name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/sign-in");
    expect(router.state.location.search).toEqual({ redirect: "/settings/organization" });
    expect(session.current).toBeNull();
  });
});

describe("sign-in form", () => {
  it("checks the fields before asking the server", async () => {
    server.use(...signedOut);
    const { user } = await renderApp("/sign-in");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("Enter your email address.");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription("Enter your password.");
    expect(screen.getByLabelText("Email")).toHaveAttribute("aria-invalid", "true");
  });

  it("shows the problem's detail for wrong credentials", async () => {
    server.use(...signedOut, http.post("/api/v1/auth/login", () => problem(401, "Invalid email or password.")));
    const { user } = await renderApp("/sign-in");
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "nope-nope-nope");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Could not sign in");
    expect(alert).toHaveTextContent("Invalid email or password.");
  });

  it("says how long to wait when rate-limited", async () => {
    server.use(
      ...signedOut,
      http.post("/api/v1/auth/login", () => problem(429, "Too many attempts.", { code: "rate_limited" }, { "Retry-After": "42" })),
    );
    const { user } = await renderApp("/sign-in");
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "nope-nope-nope");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Please wait 42 seconds and try again.");
  });

  it("renders no OAuth buttons while the server lists no providers", async () => {
    server.use(...signedOut);
    await renderApp("/sign-in");
    expect(screen.queryByRole("link", { name: /Continue with/ })).not.toBeInTheDocument();
  });

  it("renders a button for each enabled provider, keeping the redirect", async () => {
    server.use(
      ...signedOut,
      http.get("/api/v1/auth/providers", () =>
        HttpResponse.json({ providers: [{ name: "github", label: "GitHub", start_url: "/api/v1/auth/oauth/github/start" }] }),
      ),
    );
    await renderApp("/sign-in?redirect=%2Fruns");
    expect(await screen.findByRole("link", { name: "Continue with GitHub" })).toHaveAttribute(
      "href",
      "/api/v1/auth/oauth/github/start?redirect=%2Fruns",
    );
    expect(screen.queryByRole("link", { name: /Google/ })).not.toBeInTheDocument();
  });

  it("explains an OAuth error the callback sent back", async () => {
    server.use(...signedOut);
    await renderApp("/sign-in?oauth_error=email_unverified");
    expect(screen.getByRole("alert")).toHaveTextContent("The provider has not verified your email address.");
  });

  it("completes an OAuth sign-in with the cookie the callback set", async () => {
    const { router } = await renderApp("/auth/complete?redirect=%2Fruns");
    expect(await screen.findByRole("heading", { level: 1, name: "Runs" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/runs");
  });
});

describe("sign-up form", () => {
  async function fill(user: Awaited<ReturnType<typeof renderApp>>["user"], password: string, email = "grace@example.com") {
    await user.type(screen.getByLabelText("Full name"), "Grace Hopper");
    await user.type(screen.getByLabelText("Email"), email);
    await user.type(screen.getByLabelText("Password"), password);
  }

  it.each([
    ["short", "Use at least 10 characters."],
    ["grace@example.com", "The password must not be your email address."],
    ["ü".repeat(40), "Use at most 72 bytes"],
  ])("refuses the password %s", async (password, message) => {
    server.use(...signedOut);
    const { user } = await renderApp("/sign-up");
    await fill(user, password);
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription(expect.stringContaining(message) as string);
  });

  it("maps the server's field errors to the fields", async () => {
    server.use(
      ...signedOut,
      http.post("/api/v1/auth/signup", () =>
        problem(422, "The request is not valid.", {
          code: "validation_failed",
          errors: [
            { field: "email", message: "is already registered" },
            { field: "org_name", message: "is too long" },
          ],
        }),
      ),
    );
    const { user } = await renderApp("/sign-up");
    await fill(user, "correct horse battery");
    await user.type(screen.getByLabelText("Organization name (optional)"), "Navy");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The request is not valid.");
    expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("is already registered");
    expect(screen.getByLabelText("Organization name (optional)")).toHaveAccessibleDescription(
      expect.stringContaining("is too long") as string,
    );
  });

  it("creates the account and signs in", async () => {
    let sent: unknown;
    server.use(
      ...signedOut,
      http.post("/api/v1/auth/signup", async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json(tokens("owner"), { status: 201 });
      }),
    );
    const { user, router } = await renderApp("/sign-up");
    await fill(user, "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Dashboard" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/");
    expect(sent).toEqual({ full_name: "Grace Hopper", email: "grace@example.com", password: "correct horse battery" });
  });

  it("accepts an invitation with its token and the email prefilled", async () => {
    let sent: unknown;
    server.use(
      ...signedOut,
      http.post("/api/v1/auth/signup", async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json(tokens("viewer"), { status: 201 });
      }),
    );
    const { user } = await renderApp("/invite?token=inv-123&email=grace%40example.com");
    expect(screen.getByRole("heading", { level: 1, name: "Accept your invitation" })).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveValue("grace@example.com");
    expect(screen.queryByLabelText("Organization name (optional)")).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("Full name"), "Grace Hopper");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Accept and create account" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Dashboard" })).toBeInTheDocument();
    expect(sent).toEqual({
      full_name: "Grace Hopper",
      email: "grace@example.com",
      password: "correct horse battery",
      invite_token: "inv-123",
    });
  });

  it("says so when the invitation link has no token", async () => {
    server.use(...signedOut);
    await renderApp("/invite");
    expect(screen.getByRole("alert")).toHaveTextContent("This invitation link is incomplete");
    expect(screen.queryByLabelText("Password")).not.toBeInTheDocument();
  });
});

describe("header", () => {
  it("shows the user and signs out", async () => {
    let loggedOut = false;
    server.use(
      http.post("/api/v1/auth/logout", () => {
        loggedOut = true;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user, router } = await renderApp("/runs");
    await user.click(screen.getByRole("button", { name: "Account: Ada Lovelace" }));
    const menu = await screen.findByRole("menu");
    expect(menu).toHaveTextContent("ada@example.com");
    expect(menu).toHaveTextContent("Owner in Analytical Engines");
    await user.click(within(menu).getByRole("menuitem", { name: "Sign out" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Sign in" })).toBeInTheDocument();
    expect(loggedOut).toBe(true);
    expect(session.current).toBeNull();
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/sign-in");
    });
  });

  it("switches the organization and refetches", async () => {
    let switchedTo: unknown;
    let orgCalls = 0;
    server.use(
      http.post("/api/v1/auth/switch-org", async ({ request }) => {
        switchedTo = await request.json();
        return HttpResponse.json({ ...tokens("viewer", otherOrg), access_token: "other-org-token" });
      }),
      http.get("/api/v1/me", ({ request }) =>
        HttpResponse.json(
          request.headers.get("Authorization") === "Bearer other-org-token" ? me("viewer", otherOrg) : me("owner"),
        ),
      ),
      http.get("/api/v1/org", ({ request }) => {
        orgCalls += 1;
        return HttpResponse.json(
          orgBody(request.headers.get("Authorization") === "Bearer other-org-token" ? otherOrg : testOrg),
        );
      }),
    );
    const { user } = await renderApp("/settings/organization");
    expect(await screen.findByDisplayValue("Analytical Engines")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Organization: Analytical Engines" }));
    const menu = await screen.findByRole("menu");
    await user.click(await within(menu).findByRole("menuitemradio", { name: /Difference Ltd/ }));
    expect(await screen.findByRole("button", { name: "Organization: Difference Ltd" })).toBeInTheDocument();
    expect(switchedTo).toEqual({ org_id: otherOrg.id });
    // As a viewer in the other organization, the settings are read-only.
    expect(await screen.findByText("Difference Ltd", { selector: "dd" })).toBeInTheDocument();
    expect(orgCalls).toBeGreaterThanOrEqual(2);
    expect(session.current?.role).toBe("viewer");
  });
});

describe("roles", () => {
  it("takes the current role from GET /me", async () => {
    server.use(http.get("/api/v1/me", () => HttpResponse.json(me("viewer"))), ...signedInAs("admin"));
    await renderApp("/settings/members");
    expect(await screen.findByText("Needs the Admin role")).toBeInTheDocument();
    expect(session.current?.role).toBe("viewer");
    expect(screen.queryByRole("button", { name: "Invite" })).not.toBeInTheDocument();
  });
});
