import { expect, test, type Page } from "@playwright/test";
import path from "node:path";
import { signUp, type Account } from "./helpers.ts";

const artifacts = path.join(import.meta.dirname, "..", "test-results");

/** The empty database scripts/e2e.sh created for the pipelines to load into. */
const destination = process.env.E2E_DEST_URL ? new URL(process.env.E2E_DEST_URL) : null;

test.describe.configure({ mode: "serial" });
test.skip(Boolean(process.env.E2E_MOCK_API), "needs the real server");
test.skip(destination === null, "scripts/e2e.sh sets E2E_DEST_URL when psql is installed");

let page: Page;
let account: Account;
const stamp = Date.now().toString(36);

test.beforeAll(async ({ browser }, testInfo) => {
  const { baseURL, locale, colorScheme, viewport } = testInfo.project.use;
  page = await browser.newPage({ baseURL, locale, colorScheme, viewport });
  account = await signUp(page, "file-pipeline");
});

test.afterAll(async () => {
  await page.close();
});

/** A small CSV made here: ids, a zip code that looks like a number, dates and amounts. */
function ordersCsv(): Buffer {
  const lines = ["id,customer,zip,ordered_on,amount"];
  const customers = ["ada", "grace", "edsger", "barbara", "donald"];
  customers.forEach((customer, i) => {
    lines.push(`${String(i + 1)},${customer},${String(10_100 + i * 7)},2024-0${String(i + 1)}-1${String(i)},${String(i + 1)}.25`);
  });
  return Buffer.from(`${lines.join("\n")}\n`);
}

/** Runs one query in a connection's SQL console and returns the result table's text. */
async function query(connectionId: number, sql: string): Promise<string> {
  await page.goto(`/connections/${String(connectionId)}/query`);
  const editor = page.getByRole("textbox", { name: "SQL query" });
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type(sql);
  await page.keyboard.press("Control+Enter");
  const results = page.getByRole("table", { name: "Query results" });
  await expect(results.getByRole("row")).toHaveCount(2);
  return results.innerText();
}

test("a CSV uploaded in the browser becomes a pipeline into the warehouse, runs, and its table answers in the SQL console", async () => {
  test.setTimeout(120_000);
  if (!destination) return;
  const fileName = `orders-${stamp}.csv`;

  // Upload the file.
  await page.goto("/files");
  await page.getByLabel("File", { exact: true }).setInputFiles({ name: fileName, mimeType: "text/csv", buffer: ordersCsv() });
  await page.getByRole("button", { name: "Upload" }).click();
  await expect(page.getByText(`${fileName} was uploaded.`)).toBeVisible();

  // An Uploaded file connection of it.
  await page.goto("/connections/new");
  await page.getByRole("button", { name: /Uploaded file/ }).click();
  await page.getByLabel("Name", { exact: true }).fill(`Orders file ${stamp}`);
  const fileSelect = page.getByLabel("File", { exact: true });
  await expect(fileSelect.getByRole("option", { name: new RegExp(fileName) })).toHaveCount(1);
  await fileSelect.selectOption({ label: (await fileSelect.getByRole("option", { name: new RegExp(fileName) }).textContent()) ?? "" });
  await page.getByLabel("Format", { exact: true }).selectOption("csv");
  await page.getByRole("button", { name: "Create connection" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Orders file ${stamp}`);
  const fileConnection = Number(/\/connections\/(\d+)/.exec(page.url())?.[1]);
  expect(fileConnection).toBeGreaterThan(0);

  // The warehouse: the empty PostgreSQL database of scripts/e2e.sh.
  await page.goto("/connections/new");
  await page.getByRole("button", { name: /PostgreSQL/ }).click();
  await page.getByLabel("Name", { exact: true }).fill(`Warehouse ${stamp}`);
  await page.getByLabel("Host", { exact: true }).fill(destination.hostname);
  await page.getByLabel("Port", { exact: true }).fill(destination.port || "5432");
  await page.getByLabel("Database", { exact: true }).fill(destination.pathname.slice(1));
  await page.getByLabel("User", { exact: true }).fill(decodeURIComponent(destination.username) || "postgres");
  if (destination.password) await page.getByLabel("Password", { exact: true }).fill(decodeURIComponent(destination.password));
  await page.getByLabel("SSL mode").selectOption("disable");
  await page.getByRole("button", { name: "Create connection" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Warehouse ${stamp}`);
  const warehouse = Number(/\/connections\/(\d+)/.exec(page.url())?.[1]);

  // The wizard: the file's detected columns and types, zip loaded as text.
  const pipelineName = `Orders upload ${stamp}`;
  await page.goto("/pipelines/new");
  await page.getByLabel("Name", { exact: true }).fill(pipelineName);
  await page.getByLabel("Source connection").selectOption({ label: `Orders file ${stamp} (file)` });
  await page.getByRole("button", { name: "Next" }).click();
  const tableBox = page.getByRole("checkbox", { name: /^file\.file_\d+$/ });
  await tableBox.check();
  const fileTable = ((await tableBox.getAttribute("aria-label")) ?? "").split(".")[1] ?? "";
  expect(fileTable).toMatch(/^file_\d+$/);
  const columns = page.getByRole("table", { name: "Columns" });
  await expect(columns.getByRole("row", { name: /^id integer/ })).toBeVisible();
  await expect(columns.getByRole("row", { name: /^zip integer/ })).toBeVisible();
  await expect(columns.getByRole("row", { name: /^ordered_on date/ })).toBeVisible();
  await page.getByRole("combobox", { name: "Type of zip" }).selectOption("text");
  await page.screenshot({ path: path.join(artifacts, "pipeline-wizard-file.png"), fullPage: true });
  await page.getByRole("button", { name: "Next" }).click();

  await page.getByLabel("Destination connection").selectOption({ label: `Warehouse ${stamp} (postgres)` });
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByTestId("pipeline-request")).toContainText(`"zip": "text"`);
  await page.getByRole("button", { name: "Create pipeline" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(pipelineName);

  // Run it.
  await page.getByRole("button", { name: "Run now" }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  await expect(page.locator('[data-status="success"]')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("run-rows")).toHaveText("5");

  // The table in the SQL console: every row, the types inferred, the override applied.
  const schema = `orders_upload_${stamp}`;
  const answer = await query(
    warehouse,
    `select 'rows=' || count(*) || ' ids=' || sum(id) || ' amount=' || sum(amount) || ' zip=' || min(zip) || ' first=' || min(ordered_on) ` +
      `|| ' types=' || pg_typeof(min(id)) || '/' || pg_typeof(min(zip)) || '/' || pg_typeof(min(ordered_on)) as answer from ${schema}.${fileTable}`,
  );
  expect(answer).toContain("rows=5 ids=15 amount=16.25 zip=10100 first=2024-01-10 types=bigint/text/date");
  await page.screenshot({ path: path.join(artifacts, "file-pipeline-query.png"), fullPage: true });
});

test("a REST API resource's first page shows in the wizard as the rows it loads", async ({ baseURL }) => {
  // A REST API connection to this server's own readiness answer, made through the API.
  const login = await page.request.post("/api/v1/auth/login", { data: { email: account.email, password: account.password } });
  expect(login.status()).toBe(200);
  const { access_token: token } = (await login.json()) as { access_token: string };
  const created = await page.request.post("/api/v1/connections", {
    headers: { Authorization: `Bearer ${token}` },
    data: { name: `Self ${stamp}`, type: "rest_api", config: { base_url: baseURL, resources: [{ name: "readiness", path: "readyz", nested: "tables" }] } },
  });
  expect(created.status(), await created.text()).toBe(201);

  await page.goto("/pipelines/new");
  await page.getByLabel("Name", { exact: true }).fill(`Readiness ${stamp}`);
  await page.getByLabel("Source connection").selectOption({ label: `Self ${stamp} (rest_api)` });
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("checkbox", { name: "api.readiness" }).check();
  // The page's one record, flattened and typed as the load makes it.
  const rows = page.getByRole("table", { name: "First page of readiness" });
  await expect(rows.getByRole("row")).toHaveCount(2);
  await expect(rows.getByRole("columnheader", { name: "database__ok" })).toBeVisible();
  await expect(rows.getByRole("cell", { name: "ready", exact: true })).toBeVisible();
  const columns = page.getByRole("list", { name: "Columns of readiness (from its first page)" });
  await expect(columns.getByRole("listitem").filter({ hasText: /^database__ok bool$/ })).toHaveCount(1);
  await expect(columns.getByRole("listitem").filter({ hasText: /^status text$/ })).toHaveCount(1);
  await page.screenshot({ path: path.join(artifacts, "pipeline-wizard-rest-preview.png"), fullPage: true });
});
