import { expect, test, type Page } from "@playwright/test";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createPostgresConnection, signUp } from "./helpers.ts";

const artifacts = path.join(import.meta.dirname, "..", "test-results");

/** The empty destination database scripts/e2e.sh created; the models are built in it. */
const destination = process.env.E2E_DEST_URL ? new URL(process.env.E2E_DEST_URL) : null;

test.describe.configure({ mode: "serial" });
test.skip(Boolean(process.env.E2E_MOCK_API), "needs the real server");
test.skip(destination === null, "scripts/e2e.sh sets E2E_DEST_URL when psql is installed");

let page: Page;
const stamp = Date.now().toString(36);
const destinationName = `Models ${stamp}`;
const base = `e2e_base_${stamp}`;
const orders = `e2e_orders_${stamp}`;

test.beforeAll(async ({ browser }, testInfo) => {
  const { baseURL, locale, colorScheme, viewport } = testInfo.project.use;
  page = await browser.newPage({ baseURL, locale, colorScheme, viewport });
  await signUp(page, "transformations");
});

test.afterAll(async () => {
  await page.close();
});

async function createDestination(url: URL): Promise<void> {
  await createPostgresConnection(page, destinationName, url);
}

/** Opens a new model, names it and points it at the destination. */
async function newModel(name: string): Promise<void> {
  await page.goto("/transformations");
  await page.getByRole("link", { name: "New model" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("New model");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Destination", { exact: true }).selectOption({ label: destinationName });
  await page.getByRole("textbox", { name: "Model SQL" }).click();
}

test("writes a model with ref() completion, compiles, previews, adds a unique test and builds with downstream", async () => {
  if (destination === null) return;
  await createDestination(destination);

  // The upstream model, saved and built.
  await newModel(base);
  await page.keyboard.type("select 1 as id union all select 2 as id");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(base);
  await page.getByRole("button", { name: "Build" }).click();
  const firstRun = page.getByRole("table", { name: "Nodes" });
  await expect(firstRun.getByRole("row").filter({ hasText: base }).getByText("Success")).toBeVisible({ timeout: 30_000 });

  // An unknown ref is refused at save time and marked at its line in the editor.
  await newModel(`e2e_broken_${stamp}`);
  await page.keyboard.type("select 1 as id\nfrom {{ ref('no_such_model') }}");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "The model could not be saved." })).toBeVisible();
  await expect(page.locator('[data-error-line="2"]')).toBeVisible();
  // Leaving with unsaved changes asks first: dismissed, the page stays; accepted, it goes.
  page.once("dialog", (dialog) => void dialog.dismiss());
  await page.getByRole("link", { name: "All models" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("New model");
  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByRole("link", { name: "All models" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Transformations");

  // The downstream model, written with ref() completion.
  await newModel(orders);
  await page.keyboard.type("select id * 10 as amount from {{ ref('e2e_b");
  const option = page.getByRole("option", { name: base });
  await expect(option).toBeVisible();
  // CodeMirror ignores Enter for a moment after the list opens (its interactionDelay), so a fast typist cannot accept by accident.
  await page.waitForTimeout(200);
  await page.keyboard.press("Enter");
  await page.keyboard.type("') }}");
  await expect(page.getByRole("textbox", { name: "Model SQL" })).toContainText(`ref('${base}')`);

  await page.getByRole("button", { name: "Compile" }).click();
  const compiled = page.getByTestId("compiled-pane");
  await expect(compiled).toContainText(base);
  await expect(compiled).not.toContainText("ref(");

  // Ctrl+Enter saves the new model and previews its rows.
  await page.getByRole("textbox", { name: "Model SQL" }).click();
  await page.keyboard.press("Control+Enter");
  await expect(page.getByTestId("preview-count")).toHaveText("2 rows");
  await expect(page.getByRole("table", { name: "Preview" })).toContainText("20");
  await page.screenshot({ path: path.join(artifacts, "transformation-editor.png"), fullPage: true });

  // Build the upstream model with its downstream one and watch both nodes arrive.
  await page.goto("/transformations");
  await page.getByRole("searchbox", { name: "Search models" }).fill(stamp);
  await page.getByRole("link", { name: new RegExp(base) }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(base);
  // Its lineage names the model built on it.
  await expect(page.getByRole("link", { name: orders, exact: true }).first()).toHaveAttribute("href", /\/transformations\/\d+$/);

  // A unique test on its id column, saved with the model, runs in the build.
  await page.getByRole("button", { name: "Add a column" }).click();
  await page.getByLabel("Column", { exact: true }).fill("id");
  await page.getByRole("checkbox", { name: "unique", exact: true }).check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("unsaved")).toBeHidden();
  await page.getByLabel("With everything downstream (one DAG run)").check();
  await page.getByRole("button", { name: "Build" }).click();
  // A build with downstream is a DAG run: the model, then the model built on it, lighting up.
  await expect(page).toHaveURL(/\/dag\?dag_run=\d+$/);
  await expect(page.getByRole("status", { name: "DAG run" })).toContainText("succeeded", { timeout: 60_000 });
  await expect(page.getByRole("button", { name: new RegExp(`^${orders} \\(Transformation, Succeeded\\)`) })).toBeVisible();
  // The model's own run built it and passed its test.
  await page.getByRole("button", { name: new RegExp(`^${base} \\(Transformation, Succeeded\\)`) }).click();
  await page.getByRole("complementary", { name: `Details of ${base}` }).getByRole("link", { name: /Run #\d+/ }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  const nodes = page.getByRole("table", { name: "Nodes" });
  await expect(nodes.getByRole("row").filter({ hasText: base }).getByText("Success")).toBeVisible({ timeout: 30_000 });
  await expect(nodes.getByRole("row").filter({ hasText: `unique_${base}_id` }).getByText("Pass")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText("Succeeded", { exact: true })).toBeVisible({ timeout: 30_000 });
  await page.screenshot({ path: path.join(artifacts, "transformation-run.png"), fullPage: true });
});

test("exports the project as a zip and imports it back, skipping then overwriting", async () => {
  if (destination === null) return;
  await page.goto("/transformations");
  await page.getByLabel("Project of").selectOption({ label: destinationName });
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export" }).click()]);
  expect(download.suggestedFilename()).toBe("dbt_project.zip");
  const zip = path.join(artifacts, `dbt_project_${stamp}.zip`);
  await download.saveAs(zip);
  const bytes = await readFile(zip);
  expect(bytes.subarray(0, 2).toString()).toBe("PK");
  expect(bytes.includes(Buffer.from(`models/${orders}.sql`))).toBe(true);

  // Into the same project with "skip": both models exist, nothing changes.
  await page.getByLabel("Import a dbt project (zip)").setInputFiles(zip);
  await page.getByRole("button", { name: "Import", exact: true }).click();
  const report = page.getByTestId("import-report");
  await expect(report.getByRole("row", { name: /Models/ })).toHaveText(/Models\s*0\s*0\s*2/);

  // Again with "Overwrite what exists": both are updated from the zip.
  await page.getByLabel("Overwrite what exists").check();
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(report.getByRole("row", { name: /Models/ })).toHaveText(/Models\s*0\s*2\s*0/);
  await page.getByRole("searchbox", { name: "Search models" }).fill(orders);
  await expect(page.getByRole("link", { name: new RegExp(orders) })).toHaveCount(1);
});
