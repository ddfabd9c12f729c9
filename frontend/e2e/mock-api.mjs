// A stand-in for the two endpoints the web app calls today (GET /readyz, GET /api/v1/version),
// answering per openapi.yaml. Only for running the end-to-end tests against `vite preview` while the
// Go server is not at hand; the tests themselves assume nothing beyond the contract.
import http from "node:http";

/**
 * @param {number} port 0 picks a free port
 * @returns {Promise<{ server: http.Server, port: number }>}
 */
export function startMockApi(port = 0) {
  const server = http.createServer((req, res) => {
    const send = (/** @type {number} */ status, /** @type {unknown} */ body, type = "application/json") => {
      res.writeHead(status, { "Content-Type": type });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/readyz") {
      send(200, {
        status: "ready",
        database: { ok: true, latency_ms: 2 },
        migrations: { ok: true, version: 1, expected_version: 1, dirty: false, queue_version: 6 },
      });
    } else if (req.method === "GET" && url.pathname === "/api/v1/version") {
      send(200, { version: "0.0.0-e2e", commit: "e2e-mock", go_version: "mock" });
    } else {
      send(404, { type: "urn:datanika:problem:not-found", title: "Not Found", status: 404, code: "not_found" }, "application/problem+json");
    }
  });
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, port: typeof address === "object" && address ? address.port : port });
    });
  });
}
