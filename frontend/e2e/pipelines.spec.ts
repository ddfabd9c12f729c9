import { expect, test, type Page } from "@playwright/test";
import path from "node:path";
import { createPostgresConnection, signUp } from "./helpers.ts";

const artifacts = path.join(import.meta.dirname, "..", "test-results");

/** The databases scripts/e2e.sh created: the source (customers, big_events) and an empty destination. */
const source = process.env.E2E_SOURCE_URL ? new URL(process.env.E2E_SOURCE_URL) : null;
const destination = process.env.E2E_DEST_URL ? new URL(process.env.E2E_DEST_URL) : null;

test.describe.configure({ mode: "serial" });
test.skip(Boolean(process.env.E2E_MOCK_API), "needs the real server");
test.skip(source === null || destination === null, "scripts/e2e.sh sets E2E_SOURCE_URL and E2E_DEST_URL when psql is installed");

let page: Page;
const stamp = Date.now().toString(36);
const sourceName = `Source ${stamp}`;
const destinationName = `Destination ${stamp}`;
let destinationId = 0;

test.beforeAll(async ({ browser }, testInfo) => {
  const { baseURL, locale, colorScheme, viewport } = testInfo.project.use;
  page = await browser.newPage({ baseURL, locale, colorScheme, viewport });
  await signUp(page, "pipelines");
});

test.afterAll(async () => {
  await page.close();
});

/** Creates a PostgreSQL connection through the form and returns its id. */
async function createConnection(name: string, url: URL): Promise<number> {
  return createPostgresConnection(page, name, url);
}

/** Walks the pipeline wizard with the defaults (append) for one source table. */
async function createPipeline(name: string, table: string): Promise<void> {
  await page.goto("/pipelines");
  await page.getByRole("link", { name: "New pipeline" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("New pipeline");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Source connection").selectOption({ label: `${sourceName} (postgres)` });
  await page.getByRole("button", { name: "Next" }).click();

  await page.getByRole("searchbox", { name: "Search tables" }).fill(table.split(".")[1] ?? table);
  await page.getByRole("checkbox", { name: table, exact: true }).check();
  await expect(page.getByText("1 table selected")).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();

  await page.getByLabel("Destination connection").selectOption({ label: `${destinationName} (postgres)` });
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("radio", { name: "Append" })).toBeChecked();
  await page.screenshot({ path: path.join(artifacts, "pipeline-wizard.png"), fullPage: true });
  await page.getByRole("button", { name: "Next" }).click();

  await expect(page.getByTestId("pipeline-request")).toContainText(`"table_names"`);
  await page.getByRole("button", { name: "Create pipeline" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
}

/** Runs one query in the destination's SQL console and returns the result table's text. */
async function queryDestination(sql: string): Promise<string> {
  await page.goto(`/connections/${String(destinationId)}/query`);
  const editor = page.getByRole("textbox", { name: "SQL query" });
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type(sql);
  await page.keyboard.press("Control+Enter");
  const results = page.getByRole("table", { name: "Query results" });
  await expect(results.getByRole("row")).toHaveCount(2);
  return results.innerText();
}

test("two PostgreSQL connections, a pipeline on customers, a run that streams its logs and loads 3 rows", async () => {
  test.setTimeout(120_000);
  if (!source || !destination) return;
  await createConnection(sourceName, source);
  destinationId = await createConnection(destinationName, destination);

  await createPipeline("Customers", "public.customers");
  await expect(page.getByText("This pipeline has not run yet.")).toBeVisible();

  await page.getByRole("button", { name: "Run now" }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Run #\d+$/);
  const log = page.getByRole("log", { name: "Logs" });
  await expect(log.getByRole("listitem").first()).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('[data-status="success"]')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("run-rows")).toHaveText("3");
  await expect(page.getByRole("table", { name: "Tables" })).toContainText("customers");
  await expect(page.getByText("Complete", { exact: true })).toBeVisible();
  await page.screenshot({ path: path.join(artifacts, "pipeline-run.png"), fullPage: true });

  // The pipeline lists the run with its rows; the runs page too.
  await page.getByRole("link", { name: "Customers" }).first().click();
  await expect(page.getByRole("table", { name: "Runs" })).toContainText("Succeeded");
  await page.goto("/runs?status=success");
  await expect(page.getByRole("table", { name: "Runs" }).getByRole("row")).toHaveCount(2);

  expect(await queryDestination("select 'rows=' || count(*) as n from customers.customers")).toContain("rows=3");
});

test("a long run is cancelled from the run page and leaves the destination as it was", async () => {
  test.setTimeout(180_000);
  const before = await queryDestination(
    "select 'tables=' || count(*) as n from information_schema.tables where table_schema = 'big_events'",
  );
  expect(before).toContain("tables=0");

  await createPipeline("Big events", "public.big_events");
  await page.getByRole("button", { name: "Run now" }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  // Live: the stream is open while the run is running, and lines arrive.
  await expect(page.locator('[data-status="running"]')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText("Live", { exact: true })).toBeVisible();
  // Cancel once the copy of the table has begun, so the cancel lands in the middle of the load.
  await expect(page.getByRole("log", { name: "Logs" })).toContainText("table started", { timeout: 30_000 });
  await page.screenshot({ path: path.join(artifacts, "pipeline-run-live.png"), fullPage: true });

  await page.getByRole("button", { name: "Cancel run" }).click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toContainText("the destination stays as it was");
  await dialog.getByRole("button", { name: "Cancel run" }).click();
  await expect(page.locator('[data-status="cancelled"]')).toBeVisible({ timeout: 90_000 });
  await expect(page.getByRole("button", { name: "Retry" })).toBeVisible();

  // Nothing of the cancelled load is in the destination; the earlier load is untouched.
  const after = await queryDestination(
    "select 'tables=' || count(*) as n from information_schema.tables where table_schema = 'big_events'",
  );
  expect(after).toContain("tables=0");
  expect(await queryDestination("select 'rows=' || count(*) as n from customers.customers")).toContain("rows=3");

  // The dashboard counts both pipelines and shows the run history.
  await page.goto("/");
  const stats = page.getByRole("list", { name: "Key figures" });
  await expect(stats.getByRole("listitem").filter({ hasText: "Pipelines" })).toContainText("2");
  await expect(page.getByRole("img", { name: "Runs per day" })).toBeVisible();
  await page.screenshot({ path: path.join(artifacts, "dashboard.png"), fullPage: true });
});
