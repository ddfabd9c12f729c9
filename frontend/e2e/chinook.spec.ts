import { expect, test, type Page } from "@playwright/test";
import path from "node:path";
import { createPostgresConnection, signUp } from "./helpers.ts";

// Tried as a new user would: Chinook (a real, public sample database) is loaded with a pipeline,
// then two models are written over it in the browser and built.

const artifacts = path.join(import.meta.dirname, "..", "test-results");

/** Chinook and the empty destination scripts/e2e.sh created. */
const chinook = process.env.E2E_CHINOOK_URL ? new URL(process.env.E2E_CHINOOK_URL) : null;
const destination = process.env.E2E_DEST_URL ? new URL(process.env.E2E_DEST_URL) : null;

test.describe.configure({ mode: "serial" });
test.skip(Boolean(process.env.E2E_MOCK_API), "needs the real server");
test.skip(chinook === null || destination === null, "scripts/e2e.sh sets E2E_CHINOOK_URL when it finds Chinook_PostgreSql.sql");

let page: Page;
const stamp = Date.now().toString(36);
const schema = `chinook_${stamp}`;
const artistTracks = `artist_tracks_${stamp}`;
const bigArtists = `big_artists_${stamp}`;

test.beforeAll(async ({ browser }, testInfo) => {
  const { baseURL, locale, colorScheme, viewport } = testInfo.project.use;
  page = await browser.newPage({ baseURL, locale, colorScheme, viewport });
  await signUp(page, "chinook");
});

test.afterAll(async () => {
  await page.close();
});

/** Opens a new model in the destination and types its SQL on one line (Enter could accept a completion). */
async function writeModel(name: string, destinationName: string, sql: string): Promise<void> {
  await page.goto("/transformations");
  await page.getByRole("link", { name: "New model" }).click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Destination", { exact: true }).selectOption({ label: destinationName });
  await page.getByRole("textbox", { name: "Model SQL" }).click();
  await page.keyboard.type(sql);
  await page.keyboard.press("Escape");
  await expect(page.getByRole("textbox", { name: "Model SQL" })).toHaveText(sql);
}

test("loads Chinook with a pipeline, writes two models over it and builds them", async () => {
  test.setTimeout(240_000);
  if (chinook === null || destination === null) return;
  const sourceName = `Chinook ${stamp}`;
  const destinationName = `Chinook DW ${stamp}`;
  await createPostgresConnection(page, sourceName, chinook);
  await createPostgresConnection(page, destinationName, destination);

  // The pipeline: three tables into their own schema.
  await page.goto("/pipelines/new");
  await page.getByLabel("Name", { exact: true }).fill("Chinook");
  await page.getByLabel("Source connection").selectOption({ label: `${sourceName} (postgres)` });
  await page.getByRole("button", { name: "Next" }).click();
  for (const table of ["artist", "album", "track"]) {
    await page.getByRole("searchbox", { name: "Search tables" }).fill(table);
    await page.getByRole("checkbox", { name: `public.${table}`, exact: true }).check();
  }
  await expect(page.getByText("3 tables selected")).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Destination connection").selectOption({ label: `${destinationName} (postgres)` });
  await page.getByLabel("Destination schema").fill(schema);
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Create pipeline" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Chinook");
  await page.getByRole("button", { name: "Run now" }).click();
  await expect(page.locator('[data-status="success"]')).toBeVisible({ timeout: 90_000 });
  // 275 artists + 347 albums + 3,503 tracks.
  await expect(page.getByTestId("run-rows")).toHaveText("4,125");

  // The first model reads the loaded tables through the pipeline's source; Ctrl+Enter saves it and previews its rows.
  await writeModel(
    artistTracks,
    destinationName,
    `select ar.name as artist, count(*) as tracks from {{ source('${schema}', 'artist') }} ar join {{ source('${schema}', 'album') }} al on al.artist_id = ar.artist_id join {{ source('${schema}', 'track') }} t on t.album_id = al.album_id group by ar.name`,
  );
  await page.keyboard.press("Control+Enter");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(artistTracks);
  await expect(page.getByRole("table", { name: "Preview" })).toContainText("Iron Maiden");

  // The second builds on the first.
  await writeModel(bigArtists, destinationName, `select artist, tracks from {{ ref('${artistTracks}') }} where tracks >= 100`);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(bigArtists);

  // Build the first with its downstream model.
  await page.goto("/transformations");
  await page.getByRole("searchbox", { name: "Search models" }).fill(artistTracks);
  await page.getByRole("link", { name: new RegExp(artistTracks) }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(artistTracks);
  await page.getByLabel("With everything downstream (one DAG run)").check();
  await page.getByRole("button", { name: "Build" }).click();
  // A build with downstream is a DAG run: the model, then the model that ref()s it.
  await expect(page).toHaveURL(/\/dag\?dag_run=\d+$/);
  await expect(page.getByRole("status", { name: "DAG run" })).toContainText("succeeded", { timeout: 120_000 });
  for (const name of [artistTracks, bigArtists]) {
    await expect(page.getByRole("button", { name: new RegExp(`^${name} \\(Transformation, Succeeded\\)`) })).toBeVisible();
  }
  await page.screenshot({ path: path.join(artifacts, "chinook-build.png"), fullPage: true });

  // The built model answers from the destination: the four artists with at least 100 tracks.
  await page.goto("/transformations");
  await page.getByRole("searchbox", { name: "Search models" }).fill(bigArtists);
  await page.getByRole("link", { name: new RegExp(bigArtists) }).click();
  await page.getByRole("textbox", { name: "Model SQL" }).click();
  await page.keyboard.press("Control+Enter");
  await expect(page.getByTestId("preview-count")).toHaveText("4 rows");
  const preview = page.getByRole("table", { name: "Preview" });
  for (const artist of ["Iron Maiden", "U2", "Led Zeppelin", "Metallica"]) await expect(preview).toContainText(artist);
});
