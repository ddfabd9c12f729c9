import { screen, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { expect } from "vitest";
import type { Schemas } from "@/api/client";
import { brokenSqlite, catalog, connectionTypes, savedPostgres } from "./connections";
import { problem } from "./identity";
import { pipeline } from "./pipelines";
import type { renderApp } from "./render";
import { server } from "./server";

/** A REST API connection, which is a source only. */
export const restSource: Schemas["Connection"] = {
  ...brokenSqlite,
  id: 13,
  name: "Shop API",
  type: "rest_api",
  direction: "source",
  managed: false,
};

/** The pipeline pages' API: three source connections (one of them REST), the catalog, and `pipelines`. */
export function mockPipelinesApi(pipelines: Schemas["Pipeline"][] = [pipeline()]) {
  server.use(
    http.get("/api/v1/connection-types", () => HttpResponse.json({ items: connectionTypes })),
    http.get("/api/v1/connections", () => HttpResponse.json({ items: [savedPostgres, brokenSqlite, restSource], next_cursor: null })),
    http.get("/api/v1/connections/:id/catalog", () => HttpResponse.json(catalog)),
    http.get("/api/v1/pipelines", () => HttpResponse.json({ items: pipelines, next_cursor: null })),
    http.get("/api/v1/pipelines/:id", ({ params }) => {
      const found = pipelines.find((p) => String(p.id) === params.id);
      return found ? HttpResponse.json(found) : problem(404, "No such pipeline.");
    }),
  );
}

/** Captures the JSON bodies of POST /pipelines and answers with `answer`. */
export function capturePipelinePost(answer: (body: Record<string, unknown>) => Response) {
  const bodies: Record<string, unknown>[] = [];
  const keys: (string | null)[] = [];
  server.use(
    http.post("/api/v1/pipelines", async ({ request }) => {
      const body = (await request.json()) as Record<string, unknown>;
      bodies.push(body);
      keys.push(request.headers.get("Idempotency-Key"));
      return answer(body);
    }),
  );
  return { bodies, keys };
}

/** Fills the wizard's first step (name, the Warehouse source) and goes on to the tables. */
export async function toTablesStep(user: Awaited<ReturnType<typeof renderApp>>["user"], name = "Orders") {
  await user.type(await screen.findByLabelText("Name"), name);
  const source = screen.getByLabelText("Source connection");
  // Only source-capable connections are offered.
  expect(within(source).getAllByRole("option").map((o) => o.textContent)).toEqual([
    "Choose…",
    "Warehouse (postgres)",
    "Legacy (sqlite)",
    "Shop API (rest_api)",
  ]);
  await user.selectOptions(source, "11");
  await user.click(screen.getByRole("button", { name: "Next" }));
  await screen.findByRole("list", { name: "Tables of public" });
}
