// Runs the end-to-end tests against the built app in dist/ served by `vite preview`, with
// e2e/mock-api.mjs behind its proxy standing in for the Go server. Build first (npm run build).
// Against a real server, use `E2E_BASE_URL=http://host:port npm run test:e2e` instead.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { startMockApi } from "./mock-api.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
if (!existsSync(new URL("../dist/index.html", import.meta.url))) {
  console.error("dist/index.html is missing: run `npm run build` first.");
  process.exit(1);
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

/** @param {string} url */
async function waitForServer(url, deadline = Date.now() + 30_000) {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer within 30 s`);
}

const mock = await startMockApi();
const previewPort = await freePort();
const preview = spawn(
  process.execPath,
  [fileURLToPath(new URL("../node_modules/vite/bin/vite.js", import.meta.url)), "preview", "--host", "127.0.0.1", "--port", String(previewPort), "--strictPort"],
  { cwd: root, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DATANIKA_API_URL: `http://127.0.0.1:${String(mock.port)}` } },
);

/** @type {number} */
let code;
try {
  const baseURL = `http://127.0.0.1:${String(previewPort)}`;
  await waitForServer(`${baseURL}/`);
  code = await new Promise((resolve) => {
    const run = spawn(
      process.execPath,
      [fileURLToPath(new URL("../node_modules/@playwright/test/cli.js", import.meta.url)), "test", "--config", "e2e/playwright.config.ts", ...process.argv.slice(2)],
      { cwd: root, stdio: "inherit", env: { ...process.env, E2E_BASE_URL: baseURL, E2E_MOCK_API: "1" } },
    );
    run.on("exit", (exitCode) => {
      resolve(exitCode ?? 1);
    });
  });
} finally {
  preview.kill();
  mock.server.close();
}
process.exit(code);
