import { expect, test } from "@playwright/test";
import path from "node:path";
import { password, signIn, signOut, signUp, uniqueEmail } from "./helpers.ts";

const artifacts = path.join(import.meta.dirname, "..", "test-results");

test.describe.configure({ mode: "serial" });

test("an owner creates a key and invites a viewer, who can read but not change anything", async ({ page, context }) => {
  test.setTimeout(120_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);

  // 1. A fresh owner signs up with their own organization.
  const owner = await signUp(page, "owner", `E2E org ${Date.now().toString(36)}`);

  // 2. An API key: the raw key is shown once, with a copy button.
  await page.goto("/settings/api-keys");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("API keys");
  await page.getByRole("button", { name: "Create API key" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill("e2e key");
  await dialog.getByRole("checkbox", { name: /Run/ }).check();
  await dialog.getByRole("button", { name: "Create API key" }).click();
  const rawKey = dialog.getByTestId("new-api-key");
  await expect(rawKey).toHaveText(/^dnk_\S+$/);
  const key = (await rawKey.textContent()) ?? "";
  await expect(dialog.getByText("Copy the key now")).toBeVisible();
  await dialog.getByRole("button", { name: "Copy key" }).click();
  await expect(dialog.getByRole("button", { name: "Copied" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
  await page.screenshot({ path: path.join(artifacts, "api-key-created.png") });
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("new-api-key")).toHaveCount(0);
  const row = page.getByRole("row", { name: /e2e key/ });
  await expect(row).toBeVisible();
  await expect(row).not.toContainText(key);

  // The key works against the API on its own.
  const withKey = await page.request.get("/api/v1/org", { headers: { Authorization: `Bearer ${key}` } });
  expect(withKey.status()).toBe(200);

  // 3. Invite a second email as a viewer; without SMTP the accept link is shown to copy.
  const viewerEmail = uniqueEmail("viewer");
  await page.goto("/settings/members");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Members");
  await page.getByLabel("Email").fill(viewerEmail);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Invite" }).click();
  const acceptUrl = page.getByTestId("accept-url");
  await expect(acceptUrl).toBeVisible();
  const link = new URL((await acceptUrl.textContent()) ?? "", page.url());
  await expect(page.getByRole("region", { name: "Pending invitations" })).toContainText(viewerEmail);
  await signOut(page, owner.fullName);

  // 4. The viewer accepts through the link (same origin as the app under test).
  await page.goto(`${link.pathname}${link.search}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Accept your invitation");
  await page.getByLabel("Full name").fill("E2E viewer");
  const emailField = page.getByLabel("Email");
  if ((await emailField.inputValue()) === "") await emailField.fill(viewerEmail);
  await expect(emailField).toHaveValue(viewerEmail);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Accept and create account" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dashboard");
  await signOut(page, "E2E viewer");

  // 5. The viewer signs in and sees no edit controls in Settings.
  await signIn(page, { email: viewerEmail, password });
  await expect(page.getByRole("button", { name: "Account: E2E viewer" })).toBeVisible();

  await page.goto("/settings/organization");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Organization");
  await expect(page.getByText("Needs the Admin role")).toBeVisible();
  await expect(page.getByRole("main").getByRole("textbox")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Save changes" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Delete organization" })).toHaveCount(0);

  await page.goto("/settings/members");
  await expect(page.getByRole("cell", { name: owner.email })).toBeVisible();
  await expect(page.getByRole("button", { name: "Invite" })).toHaveCount(0);
  await expect(page.getByRole("main").getByRole("combobox")).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^Remove/ })).toHaveCount(0);

  await page.goto("/settings/api-keys");
  await expect(page.getByText("Needs the Admin role")).toBeVisible();
  await expect(page.getByRole("button", { name: "Create API key" })).toHaveCount(0);

  await page.goto("/settings/audit-log");
  await expect(page.getByText("Needs the Admin role")).toBeVisible();
  await page.screenshot({ path: path.join(artifacts, "viewer-settings.png"), fullPage: true });

  // 6. The API refuses a mutation with the viewer's own token.
  const login = await page.request.post("/api/v1/auth/login", { data: { email: viewerEmail, password } });
  expect(login.status()).toBe(200);
  const { access_token: token, role } = (await login.json()) as { access_token: string; role: string };
  expect(role).toBe("viewer");
  const auth = { Authorization: `Bearer ${token}` };
  expect((await page.request.get("/api/v1/org", { headers: auth })).status()).toBe(200);
  const patch = await page.request.patch("/api/v1/org", { headers: auth, data: { name: "taken over" } });
  expect(patch.status()).toBe(403);
  const invite = await page.request.post("/api/v1/members", {
    headers: auth,
    data: { email: uniqueEmail("nope"), role: "admin" },
  });
  expect(invite.status()).toBe(403);
});

test("a visitor without a session is sent to sign in and back", async ({ page }) => {
  await page.goto("/settings/members");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in");
  expect(new URL(page.url()).searchParams.get("redirect")).toBe("/settings/members");
  await page.goto("/status");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Status");
});
