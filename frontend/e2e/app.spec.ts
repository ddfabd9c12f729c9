import { expect, test, type Page } from "@playwright/test";
import path from "node:path";
import { signUp, type Account } from "./helpers.ts";

const artifacts = path.join(import.meta.dirname, "..", "test-results");

function mainNav(page: Page) {
  return page.getByRole("navigation", { name: "Main" });
}

// Every page but sign-in, sign-up, invitations and status needs a session. One fresh user signs up
// and the tests share their page, in order: the session lives in memory and in a refresh cookie
// that rotates on every use, so it cannot be saved and replayed per test.
test.describe.configure({ mode: "serial" });

let page: Page;
let account: Account;

test.beforeAll(async ({ browser }, testInfo) => {
  const { baseURL, locale, colorScheme, viewport } = testInfo.project.use;
  page = await browser.newPage({ baseURL, locale, colorScheme, viewport });
  account = await signUp(page, "shell");
});

test.afterAll(async () => {
  await page.close();
});

test("the shell loads at /", async () => {
  await page.goto("/");
  await expect(page).toHaveTitle("Dashboard · Datanika");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dashboard");
  await expect(mainNav(page)).toBeVisible();
  await expect(mainNav(page).getByRole("link", { name: "Dashboard" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("button", { name: `Account: ${account.fullName}` })).toBeVisible();
  await page.screenshot({ path: path.join(artifacts, "home.png"), fullPage: true });
});

test("every sidebar link navigates to its page", async () => {
  await page.goto("/");
  const links = mainNav(page).getByRole("link");
  await expect(links).toHaveCount(17);
  const count = await links.count();
  for (let i = 0; i < count; i++) {
    const link = links.nth(i);
    const name = (await link.innerText()).trim();
    const href = await link.getAttribute("href");
    expect(href).toMatch(/^\//);
    await link.click();
    await expect(page).toHaveURL((url) => url.pathname === href);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
    await expect(link).toHaveAttribute("aria-current", "page");
  }
});

test("a deep link renders its page directly", async () => {
  await page.goto("/pipelines");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Pipelines");
  await expect(mainNav(page).getByRole("link", { name: "Pipelines" })).toHaveAttribute("aria-current", "page");

  await page.goto("/settings/api-keys");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("API keys");
});

test("an unknown path shows the not-found page", async () => {
  await page.goto("/no/such/page");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await expect(mainNav(page)).toBeVisible();
});

test("the status page shows readiness and the version", async ({ request }) => {
  const readiness = await request.get("/readyz");
  expect(readiness.status()).toBe(200);
  const version = await request.get("/api/v1/version");
  expect(version.ok()).toBe(true);
  const { version: versionString } = (await version.json()) as { version: string };

  await page.goto("/status");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Status");
  const readinessRegion = page.getByRole("region", { name: "Readiness" });
  await expect(readinessRegion.getByTestId("readiness-status")).toHaveText("Ready");
  await expect(page.getByRole("region", { name: "Build" }).getByTestId("app-version")).toHaveText(versionString);
  await page.screenshot({ path: path.join(artifacts, "status.png"), fullPage: true });
});

test("dark mode toggles and survives a reload", async () => {
  await page.goto("/");
  const html = page.locator("html");
  await expect(html).not.toHaveClass(/\bdark\b/);
  await page.getByRole("button", { name: "Switch to dark mode" }).click();
  await expect(html).toHaveClass(/\bdark\b/);
  const background = await page.locator("body").evaluate((body) => getComputedStyle(body).backgroundColor);
  await page.reload();
  await expect(html).toHaveClass(/\bdark\b/);
  expect(await page.locator("body").evaluate((body) => getComputedStyle(body).backgroundColor)).toBe(background);
  await page.getByRole("button", { name: "Switch to light mode" }).click();
  await expect(html).not.toHaveClass(/\bdark\b/);
});

test("the language switcher changes the interface language", async () => {
  await page.goto("/");
  await page.getByRole("button", { name: "Language: English" }).click();
  await page.getByRole("menuitemradio", { name: "Deutsch" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Übersicht");
  await expect(page.locator("html")).toHaveAttribute("lang", "de");
  await page.reload();
  await expect(page.getByRole("navigation", { name: "Hauptnavigation" })).toBeVisible();
  await page.getByRole("button", { name: "Sprache: Deutsch" }).click();
  await page.getByRole("menuitemradio", { name: "English" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dashboard");
});

test("the skip link is the first stop of the keyboard", async () => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dashboard");
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to main content" });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
});

test.describe("on a narrow screen", () => {
  test("the sidebar becomes a menu", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto("/");
    await expect(mainNav(page)).toBeHidden();
    await page.getByRole("button", { name: "Open navigation menu" }).click();
    const menu = page.getByRole("dialog", { name: "Navigation" });
    await menu.getByRole("link", { name: "Runs" }).click();
    await expect(page).toHaveURL((url) => url.pathname === "/runs");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Runs");
    await expect(menu).toBeHidden();
  });
});
