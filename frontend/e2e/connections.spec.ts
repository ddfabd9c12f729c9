import { expect, test, type Page } from "@playwright/test";
import path from "node:path";
import { signUp } from "./helpers.ts";

const artifacts = path.join(import.meta.dirname, "..", "test-results");

/** The database scripts/e2e.sh created for this spec: postgres://user@host:port/name. */
const source = process.env.E2E_SOURCE_URL ? new URL(process.env.E2E_SOURCE_URL) : null;

test.describe.configure({ mode: "serial" });
// The mock API of `npm run test:e2e:preview` has neither files nor connections.
test.skip(Boolean(process.env.E2E_MOCK_API), "needs the real server");

let page: Page;

test.beforeAll(async ({ browser }, testInfo) => {
  const { baseURL, locale, colorScheme, viewport } = testInfo.project.use;
  page = await browser.newPage({ baseURL, locale, colorScheme, viewport });
  await signUp(page, "connections");
});

test.afterAll(async () => {
  await page.close();
});

test("a CSV uploads on the Files page and lists its detected columns", async () => {
  await page.goto("/files");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Files");
  await page.getByLabel("File", { exact: true }).setInputFiles({
    name: "customers.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("id,email,signed_up\n1,ada@example.com,2024-01-02\n2,grace@example.com,2024-02-03\n"),
  });
  await page.getByRole("button", { name: "Upload" }).click();
  await expect(page.getByText("customers.csv was uploaded.")).toBeVisible();
  const row = page.getByRole("table", { name: "Uploaded files" }).getByRole("row", { name: /customers\.csv/ });
  await expect(row).toContainText("csv");
  await expect(row).toContainText("id (integer)");
  await expect(row).toContainText("email (string)");
});

test("a PostgreSQL connection is created, tested, browsed and queried", async () => {
  test.skip(source === null, "scripts/e2e.sh sets E2E_SOURCE_URL when psql is installed");
  if (!source) return;
  test.setTimeout(90_000);
  const name = `Local source ${Date.now().toString(36)}`;

  await page.goto("/connections");
  await expect(page.getByText("No connections yet.")).toBeVisible();
  await page.getByRole("link", { name: "New connection" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("New connection");
  await page.getByRole("button", { name: /PostgreSQL/ }).click();

  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Host", { exact: true }).fill(source.hostname);
  await page.getByLabel("Port", { exact: true }).fill(source.port || "5432");
  await page.getByLabel("Database", { exact: true }).fill(source.pathname.slice(1));
  await page.getByLabel("User", { exact: true }).fill(decodeURIComponent(source.username) || "postgres");
  await page.getByLabel("SSL mode").selectOption("disable");

  // The unsaved settings are tested before saving.
  await page.getByRole("button", { name: "Test connection" }).click();
  const outcome = page.getByTestId("test-outcome");
  await expect(outcome).toContainText("Connected");
  await expect(outcome).toContainText(/\d+ ms/);

  await page.getByRole("button", { name: "Create connection" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);

  // The saved connection tests too, and keeps the result.
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByTestId("test-outcome").last()).toContainText("Connected");

  // Schema browser: the table, its columns and primary key; the search narrows them.
  const tree = page.getByRole("list", { name: "Schemas" });
  await expect(tree.getByText("customers", { exact: true })).toBeVisible();
  await page.getByRole("searchbox", { name: "Search tables and columns" }).fill("email");
  const columns = page.getByRole("list", { name: "Columns of customers" });
  await expect(columns.getByRole("listitem")).toHaveCount(1);
  await expect(columns).toContainText("email");
  await expect(columns).toContainText("not null");
  await page.getByRole("searchbox", { name: "Search tables and columns" }).fill("customers");
  await expect(columns.getByRole("listitem")).toHaveCount(3);
  await expect(columns.getByRole("listitem").filter({ hasText: "id" }).first()).toContainText("Primary key");
  await page.getByRole("button", { name: "Refresh" }).click();
  await expect(page.getByRole("button", { name: "Refresh" })).toBeEnabled();
  await page.screenshot({ path: path.join(artifacts, "connection-schema.png"), fullPage: true });

  // SQL console: CodeMirror, run with Ctrl+Enter, a row cap that truncates.
  await page.getByRole("link", { name: "SQL console" }).click();
  const editor = page.getByRole("textbox", { name: "SQL query" });
  await editor.click();
  await page.keyboard.type("select id, email from customers order by id");
  await page.keyboard.press("Control+Enter");
  const results = page.getByRole("table", { name: "Query results" });
  await expect(results.getByRole("row")).toHaveCount(4);
  await expect(results).toContainText("ada@example.com");
  await expect(results).toContainText("edsger@example.com");
  await expect(page.getByText("3 rows")).toBeVisible();
  await expect(page.getByText("Truncated")).toHaveCount(0);

  await page.getByLabel("Row limit").selectOption("10");
  await editor.click();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("select g from generate_series(1, 25) as g");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.getByText("Only the first 10 rows are shown; the query returned more.")).toBeVisible();
  await expect(results.getByRole("row")).toHaveCount(11);
  await page.screenshot({ path: path.join(artifacts, "connection-console.png"), fullPage: true });

  // A write is refused: the console is read-only.
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type("delete from customers");
  await page.keyboard.press("Control+Enter");
  await expect(page.getByRole("alert")).toContainText("The query failed");

  // The list shows the connection with its last test.
  await page.goto("/connections");
  const row = page.getByRole("row", { name: new RegExp(name) });
  await expect(row).toContainText("PostgreSQL");
  await expect(row).toContainText("Source and destination");
  await expect(row).toContainText("Connected");
});
