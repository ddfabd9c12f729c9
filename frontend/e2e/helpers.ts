import { expect, type Page } from "@playwright/test";

/** A fresh identity per run, so the tests can run again against the same server. */
export function uniqueEmail(label: string): string {
  const stamp = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  return `e2e-${label}-${stamp}@example.com`;
}

export const password = "e2e correct horse battery";

export type Account = { email: string; fullName: string; password: string };

/** Signs up through the form; the app lands on the dashboard, signed in. */
export async function signUp(page: Page, label: string, orgName?: string): Promise<Account> {
  const account = { email: uniqueEmail(label), fullName: `E2E ${label}`, password };
  await page.goto("/sign-up");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Create an account");
  await page.getByLabel("Full name").fill(account.fullName);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  if (orgName) await page.getByLabel("Organization name (optional)").fill(orgName);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dashboard");
  return account;
}

export async function signIn(page: Page, account: Pick<Account, "email" | "password">): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dashboard");
}

export async function signOut(page: Page, fullName: string): Promise<void> {
  await page.getByRole("button", { name: `Account: ${fullName}` }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in");
}

/** Creates a PostgreSQL connection to url through the form and returns its id. */
export async function createPostgresConnection(page: Page, name: string, url: URL): Promise<number> {
  await page.goto("/connections/new");
  await page.getByRole("button", { name: /PostgreSQL/ }).click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Host", { exact: true }).fill(url.hostname);
  await page.getByLabel("Port", { exact: true }).fill(url.port || "5432");
  await page.getByLabel("Database", { exact: true }).fill(url.pathname.slice(1));
  await page.getByLabel("User", { exact: true }).fill(decodeURIComponent(url.username) || "postgres");
  if (url.password) await page.getByLabel("Password", { exact: true }).fill(decodeURIComponent(url.password));
  await page.getByLabel("SSL mode").selectOption("disable");
  await page.getByRole("button", { name: "Create connection" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
  const id = Number(/\/connections\/(\d+)/.exec(page.url())?.[1]);
  expect(id).toBeGreaterThan(0);
  return id;
}
