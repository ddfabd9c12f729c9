import { expect, test, type Page } from "@playwright/test";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createPostgresConnection, signUp, type Account } from "./helpers.ts";

/**
 * The orchestration path of issue 20: a pipeline → model → job chain built by dragging edges on the
 * DAG page, scheduled every minute with its downstream, two fires that each run the whole cascade,
 * and a signed webhook received for a forced failure.
 */

const artifacts = path.join(import.meta.dirname, "..", "test-results");

/** The databases scripts/e2e.sh created: the source (customers) and an empty destination. */
const source = process.env.E2E_SOURCE_URL ? new URL(process.env.E2E_SOURCE_URL) : null;
const destination = process.env.E2E_DEST_URL ? new URL(process.env.E2E_DEST_URL) : null;

test.describe.configure({ mode: "serial" });
test.skip(Boolean(process.env.E2E_MOCK_API), "needs the real server");
test.skip(source === null || destination === null, "scripts/e2e.sh sets E2E_SOURCE_URL and E2E_DEST_URL when psql is installed");

let page: Page;
let account: Account;
const stamp = Date.now().toString(36);
const sourceName = `Orch source ${stamp}`;
const destinationName = `Orch destination ${stamp}`;
const pipelineName = `Orch customers ${stamp}`;
const modelName = `e2e_orch_${stamp}`;
const jobName = `Orch job ${stamp}`;
let pipelineId = 0;
let modelId = 0;
let jobId = 0;

/** What the local webhook receiver got. */
type Received = { headers: IncomingHttpHeaders; body: string };
const received: Received[] = [];
let receiver: Server;
let hookUrl = "";

test.beforeAll(async ({ browser }, testInfo) => {
  const { baseURL, locale, colorScheme, viewport } = testInfo.project.use;
  page = await browser.newPage({ baseURL, locale, colorScheme, viewport });
  account = await signUp(page, "orchestration");
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => {
    receiver.listen(0, "127.0.0.1", resolve);
  });
  hookUrl = `http://127.0.0.1:${String((receiver.address() as AddressInfo).port)}/hook`;
});

test.afterAll(async () => {
  await page.close();
  await new Promise<void>((resolve) => {
    receiver.close(() => {
      resolve();
    });
  });
});

/** A bearer token of the signed-up user, for the few checks and settings the web app does not offer. */
async function token(): Promise<string> {
  const login = await page.request.post("/api/v1/auth/login", { data: { email: account.email, password: account.password } });
  expect(login.ok()).toBe(true);
  return ((await login.json()) as { access_token: string }).access_token;
}

type Run = { id: number; status: string; trigger: string; dag_run_id: number | null; target_type: string; target_id: number };

async function runsOf(auth: string, type: string, id: number): Promise<Run[]> {
  const answer = await page.request.get(`/api/v1/runs?target_type=${type}&target_id=${String(id)}&limit=100`, {
    headers: { Authorization: `Bearer ${auth}` },
  });
  expect(answer.ok()).toBe(true);
  return ((await answer.json()) as { items: Run[] }).items;
}

function idFromUrl(pattern: RegExp): number {
  const id = Number(pattern.exec(page.url())?.[1]);
  expect(id).toBeGreaterThan(0);
  return id;
}

/** Drags with the mouse from one node's output handle to another node's input handle on the DAG page (React Flow). */
async function drag(from: string, to: string): Promise<void> {
  const source = page.locator(`[data-source-key="${from}"]`);
  const target = page.locator(`[data-node-key="${to}"][data-handle="target"]`);
  // The view is fitted again after each change of the layout: wait until both handles are in it.
  await expect(source).toBeInViewport({ ratio: 1 });
  await expect(target).toBeInViewport({ ratio: 1 });
  await page.waitForTimeout(300); // the fit's 200 ms animation
  const start = await source.boundingBox();
  const end = await target.boundingBox();
  if (!start || !end) throw new Error(`no handle of ${from} or ${to}`);
  await page.mouse.move(start.x + start.width / 2, start.y + start.height / 2);
  await page.mouse.down();
  await page.mouse.move(end.x + end.width / 2, end.y + end.height / 2, { steps: 12 });
  await page.mouse.up();
}

async function connect(from: string, to: string, fromName: string, toName: string): Promise<void> {
  await drag(from, to);
  // A straight horizontal edge has an SVG box of zero height, which Playwright calls hidden: the
  // declared edge is checked as present in the accessibility tree.
  await expect(page.getByRole("button", { name: `Dependency: ${fromName} → ${toName}` })).toHaveCount(1);
}

/** Standard Webhooks: v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>, the key being the base64 after whsec_. */
function signatureValid(secret: string, hook: Received): boolean {
  const id = String(hook.headers["webhook-id"] ?? "");
  const timestamp = String(hook.headers["webhook-timestamp"] ?? "");
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${hook.body}`).digest();
  return String(hook.headers["webhook-signature"] ?? "")
    .split(" ")
    .filter((part) => part.startsWith("v1,"))
    .some((part) => {
      const given = Buffer.from(part.slice(3), "base64");
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

test("builds a pipeline → model → job chain by dragging edges on the DAG page", async () => {
  test.setTimeout(120_000);
  if (!source || !destination) return;
  await createPostgresConnection(page, sourceName, source);
  await createPostgresConnection(page, destinationName, destination);

  // The pipeline: customers from the source into the destination.
  await page.goto("/pipelines");
  await page.getByRole("link", { name: "New pipeline" }).click();
  await page.getByLabel("Name", { exact: true }).fill(pipelineName);
  await page.getByLabel("Source connection").selectOption({ label: `${sourceName} (postgres)` });
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("searchbox", { name: "Search tables" }).fill("customers");
  await page.getByRole("checkbox", { name: "public.customers", exact: true }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Destination connection").selectOption({ label: `${destinationName} (postgres)` });
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Create pipeline" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(pipelineName);
  await expect(page).toHaveURL(/\/pipelines\/\d+$/);
  pipelineId = idFromUrl(/\/pipelines\/(\d+)/);

  // The model, built in the destination; it reads nothing of the pipeline, so only a declared edge links them.
  await page.goto("/transformations");
  await page.getByRole("link", { name: "New model" }).click();
  await page.getByLabel("Name", { exact: true }).fill(modelName);
  await page.getByLabel("Destination", { exact: true }).selectOption({ label: destinationName });
  await page.getByRole("textbox", { name: "Model SQL" }).click();
  await page.keyboard.type("select 1 as id");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(modelName);
  await expect(page).toHaveURL(/\/transformations\/\d+$/);
  modelId = idFromUrl(/\/transformations\/(\d+)/);

  // The job builds the model in the destination picked in its form.
  await page.goto("/jobs");
  await page.getByRole("link", { name: "New job" }).click();
  await page.getByLabel("Name", { exact: true }).fill(jobName);
  await page.getByLabel("Destination", { exact: true }).selectOption({ label: destinationName });
  await page.getByLabel("Select", { exact: true }).fill(modelName);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  jobId = idFromUrl(/\/jobs\/(\d+)/);

  await page.goto("/dag");
  await expect(page.getByRole("group", { name: "Dependency graph" })).toBeVisible();
  const pipelineKey = `pipeline:${String(pipelineId)}`;
  const modelKey = `transformation:${String(modelId)}`;
  const jobKey = `job:${String(jobId)}`;
  await connect(pipelineKey, modelKey, pipelineName, modelName);
  await connect(modelKey, jobKey, modelName, jobName);

  // Closing the loop is refused with the cycle named.
  await drag(jobKey, pipelineKey);
  await expect(page.getByRole("alert").filter({ hasText: "It would close a cycle" })).toContainText(`${jobName} → ${pipelineName}`);
  await page.screenshot({ path: path.join(artifacts, "orchestration-dag.png"), fullPage: true });

  // The pipeline's page lists its new downstream.
  await page.goto(`/pipelines/${String(pipelineId)}`);
  await expect(page.getByRole("list", { name: "Downstream" }).getByRole("link", { name: modelName })).toBeVisible();
});

test("a schedule every minute with downstream runs the whole cascade on two fires", async () => {
  test.setTimeout(300_000);
  if (!source || !destination) return;
  await page.goto(`/pipelines/${String(pipelineId)}`);
  await page.getByRole("button", { name: "Schedule", exact: true }).click();
  const form = page.getByRole("form", { name: "Schedule" });
  await expect(form.getByLabel("Node", { exact: true })).toHaveValue(`pipeline:${String(pipelineId)}`);
  await form.getByLabel("Repeat").selectOption("everyMinute");
  await expect(form.getByLabel("Cron expression")).toHaveValue("* * * * *");
  await expect(form.getByTestId("cron-description")).not.toBeEmpty();
  await expect(form.getByRole("list", { name: "Next fires" }).getByRole("listitem")).toHaveCount(5);
  await form.getByLabel("Also run everything downstream, as one DAG run").check();
  await form.getByRole("button", { name: "Save schedule" }).click();
  await expect(form).toBeHidden();
  await expect(page.getByRole("table", { name: "Schedules" }).getByText("* * * * *")).toBeVisible();

  // Two fires, each a DAG run in which the pipeline, then the model, then the job succeeded.
  const auth = await token();
  const cascades = async (): Promise<number[]> => {
    const [pipelineRuns, modelRuns, jobRuns] = await Promise.all([
      runsOf(auth, "pipeline", pipelineId),
      runsOf(auth, "transformation", modelId),
      runsOf(auth, "job", jobId),
    ]);
    const ok = (runs: Run[], dagRun: number) => runs.some((run) => run.dag_run_id === dagRun && run.status === "success");
    const roots = pipelineRuns.filter((run) => run.trigger === "schedule" && run.dag_run_id !== null && run.status === "success");
    return roots.map((run) => run.dag_run_id ?? 0).filter((dagRun) => ok(modelRuns, dagRun) && ok(jobRuns, dagRun));
  };
  await expect.poll(async () => (await cascades()).length, { timeout: 240_000, intervals: [5_000] }).toBeGreaterThanOrEqual(2);
  const [dagRun] = await cascades();

  // The web app shows one cascade as a group of runs, and on the DAG with every node succeeded.
  await page.goto(`/runs?dag_run_id=${String(dagRun)}`);
  await expect(page.getByRole("status").filter({ hasText: `Runs of DAG run ${String(dagRun)}` })).toBeVisible();
  await expect(page.getByRole("table", { name: "Runs" }).getByRole("row")).toHaveCount(4);
  await page.getByRole("link", { name: "Show it on the DAG" }).click();
  await expect(page.getByRole("status", { name: "DAG run" })).toContainText("succeeded");
  for (const key of [`pipeline:${String(pipelineId)}`, `transformation:${String(modelId)}`, `job:${String(jobId)}`]) {
    await expect(page.locator(`[data-node-key="${key}"][data-status]`)).toHaveAttribute("data-status", "success");
  }
  await page.screenshot({ path: path.join(artifacts, "orchestration-dag-run.png"), fullPage: true });

  // Paused, it fires no more.
  await page.goto("/schedules");
  await page.getByRole("button", { name: `Pause ${pipelineName}` }).click();
  await expect(page.getByRole("row", { name: new RegExp(pipelineName) }).getByText("Paused")).toBeVisible();
});

test("a forced failure sends a webhook signed as Standard Webhooks specify", async () => {
  test.setTimeout(180_000);
  if (!source || !destination) return;
  await page.goto("/settings/notifications");
  await page.getByRole("button", { name: "New channel" }).click();
  const form = page.getByRole("form", { name: "Notification channel" });
  await form.getByLabel("Name", { exact: true }).fill(`Receiver ${stamp}`);
  await form.getByLabel("URL", { exact: true }).fill(hookUrl);
  await expect(form.getByRole("checkbox", { name: /Failure/ })).toBeChecked();
  await form.getByRole("button", { name: "New channel" }).click();
  const secret = (await page.getByTestId("webhook-secret").innerText()).trim();
  expect(secret).toMatch(/^whsec_/);
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("webhook-secret")).toHaveCount(0);

  // The Test button reaches the receiver.
  await page.getByRole("button", { name: `Test Receiver ${stamp}` }).click();
  await expect(page.getByText(/Test delivered: HTTP 204/)).toBeVisible({ timeout: 30_000 });

  // Break the model and build it.
  await page.goto(`/transformations/${String(modelId)}`);
  await page.getByRole("textbox", { name: "Model SQL" }).click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type(`select id from e2e_no_such_table_${stamp}`);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("unsaved")).toHaveCount(0);
  await page.getByRole("button", { name: "Build" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/Run #\d+/);
  const runId = idFromUrl(/\/runs\/(\d+)/);
  const auth = await token();
  await expect
    .poll(async () => (await runsOf(auth, "transformation", modelId)).find((run) => run.id === runId)?.status, { timeout: 60_000 })
    .toBe("failed");

  const failure = () =>
    received.find((hook) => {
      const payload = JSON.parse(hook.body) as { type?: string; run?: { id?: number } };
      return payload.type === "run.failed" && payload.run?.id === runId;
    });
  await expect.poll(() => Boolean(failure()), { timeout: 60_000 }).toBe(true);
  const hook = failure();
  if (!hook) throw new Error("no run.failed webhook");
  expect(hook.headers["webhook-id"]).toBeTruthy();
  expect(Math.abs(Number(hook.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(600);
  expect(signatureValid(secret, hook)).toBe(true);
  const payload = JSON.parse(hook.body) as { run: { target_type: string; target_id: number; target_name: string; status: string } };
  expect(payload.run).toMatchObject({ target_type: "transformation", target_id: modelId, target_name: modelName, status: "failed" });
  // A tampered body does not verify.
  expect(signatureValid(secret, { ...hook, body: hook.body.replace("failed", "success") })).toBe(false);

  // The delivery log lists the attempt, delivered with the receiver's 204.
  await page.goto("/settings/notifications");
  await page.getByRole("button", { name: "Delivery log" }).click();
  const log = page.getByRole("table", { name: `Deliveries of Receiver ${stamp}` });
  await expect(log.getByRole("row", { name: /run\.failed/ }).first()).toContainText("204");
  await expect(log.getByRole("link", { name: `Run #${String(runId)}` }).first()).toBeVisible();
});
