import { screen, waitFor, within } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import {
  brokenSqlite,
  catalog,
  connectionTypes,
  restApiType,
  savedPostgres,
  uploadedFile,
} from "@/test/connections";
import { problem, signedInAs } from "@/test/identity";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

function useConnections(items: Schemas["Connection"][] = [savedPostgres, brokenSqlite]) {
  server.use(
    http.get("/api/v1/connection-types", () => HttpResponse.json({ items: connectionTypes })),
    http.get("/api/v1/connections", () => HttpResponse.json({ items, next_cursor: null })),
    http.get("/api/v1/connections/:id", ({ params }) => {
      const found = items.find((item) => String(item.id) === params.id);
      return found ? HttpResponse.json(found) : problem(404, "No such connection.");
    }),
    http.get("/api/v1/connections/:id/catalog", () => HttpResponse.json(catalog)),
    http.get("/api/v1/files", () => HttpResponse.json({ items: [uploadedFile], next_cursor: null })),
  );
}

/** A promise to hold an answer back until the test has looked at the pending state. */
function gate() {
  let open: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { closed, open };
}

/** The error message that belongs to a control (its aria-describedby). */
function describedBy(control: HTMLElement): string {
  return (control.getAttribute("aria-describedby") ?? "")
    .split(" ")
    .map((id) => document.getElementById(id)?.textContent ?? "")
    .join(" ");
}

describe("connections list", () => {
  it("shows each connection's type, direction and last test, with the actions of an admin", async () => {
    useConnections();
    server.use(...signedInAs("admin"));
    await renderApp("/connections");
    const rows = await screen.findAllByRole("row");
    const warehouse = rows.find((row) => row.textContent.includes("Warehouse"));
    const legacy = rows.find((row) => row.textContent.includes("Legacy"));
    if (!warehouse || !legacy) throw new Error("rows missing");
    expect(within(warehouse).getByText("PostgreSQL")).toBeInTheDocument();
    expect(within(warehouse).getByText("Source and destination")).toBeInTheDocument();
    expect(within(warehouse).getByText("Connected")).toBeInTheDocument();
    expect(within(warehouse).getByText("12 ms")).toBeInTheDocument();
    expect(within(legacy).getByText("SQLite")).toBeInTheDocument();
    expect(within(legacy).getByText("Source")).toBeInTheDocument();
    expect(within(legacy).getByText("Failed")).toBeInTheDocument();
    expect(within(legacy).getByText("file is not a database")).toBeInTheDocument();
    expect(within(warehouse).getByRole("link", { name: "Warehouse" })).toHaveAttribute("href", "/connections/11");
    expect(within(warehouse).getByRole("link", { name: "Edit Warehouse" })).toHaveAttribute("href", "/connections/11/edit");
    expect(within(warehouse).getByRole("button", { name: "Delete Warehouse" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "New connection" })).toHaveAttribute("href", "/connections/new");
  });

  it("offers no edit of the managed warehouse connection, which the server keeps", async () => {
    const managed = { ...savedPostgres, managed: true };
    useConnections([managed, brokenSqlite]);
    server.use(...signedInAs("admin"));
    await renderApp("/connections");
    const rows = await screen.findAllByRole("row");
    const warehouse = rows.find((row) => row.textContent.includes("Warehouse"));
    const legacy = rows.find((row) => row.textContent.includes("Legacy"));
    if (!warehouse || !legacy) throw new Error("rows missing");
    expect(within(warehouse).queryByRole("link", { name: "Edit Warehouse" })).not.toBeInTheDocument();
    expect(within(legacy).getByRole("link", { name: "Edit Legacy" })).toBeInTheDocument();

    await renderApp("/connections/11");
    expect(await screen.findByText(/Managed by Datanika/)).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /^Edit$/ })).not.toBeInTheDocument();
  });

  it("hides delete from an editor and every change from a viewer", async () => {
    useConnections();
    server.use(...signedInAs("editor"));
    const first = await renderApp("/connections");
    await screen.findByRole("link", { name: "Warehouse" });
    expect(screen.getByRole("link", { name: "Edit Warehouse" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete Warehouse" })).not.toBeInTheDocument();
    first.unmount();

    server.use(...signedInAs("viewer"));
    await renderApp("/connections");
    await screen.findByRole("link", { name: "Warehouse" });
    expect(screen.queryByRole("link", { name: "Edit Warehouse" })).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "New connection" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Delete/ })).not.toBeInTheDocument();
  });

  it("says when there are none, and when they cannot be loaded", async () => {
    useConnections([]);
    const first = await renderApp("/connections");
    expect(await screen.findByText("No connections yet.")).toBeInTheDocument();
    first.unmount();

    server.use(http.get("/api/v1/connections", () => problem(500, "Database down.")));
    await renderApp("/connections");
    expect(await screen.findByText("Database down.")).toBeInTheDocument();
  });

  it("deletes after confirmation and shows a refusal in the dialog", async () => {
    useConnections();
    server.use(...signedInAs("admin"));
    let deleted = 0;
    server.use(
      http.delete("/api/v1/connections/:id", () => {
        deleted += 1;
        return problem(409, "Pipelines still use this connection.");
      }),
    );
    const { user } = await renderApp("/connections");
    await user.click(await screen.findByRole("button", { name: "Delete Warehouse" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(within(dialog).getByText("Delete Warehouse?")).toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await within(dialog).findByText("Pipelines still use this connection.")).toBeInTheDocument();
    expect(deleted).toBe(1);
  });
});

describe("connection form", () => {
  it("offers the available types and renders the chosen type's fields from its schema", async () => {
    useConnections();
    const { user } = await renderApp("/connections/new");
    const picker = await screen.findByRole("region", { name: "Choose a type" });
    expect(within(picker).getAllByRole("button").map((b) => b.textContent)).toEqual([
      expect.stringContaining("PostgreSQL"),
      expect.stringContaining("SQLite"),
      expect.stringContaining("REST API"),
    ]);
    await user.click(within(picker).getByRole("button", { name: /PostgreSQL/ }));

    expect(screen.getByLabelText("Host")).toBeRequired();
    expect(screen.getByLabelText("Port")).toHaveValue(5432);
    expect(screen.getByLabelText("Port")).not.toBeRequired();
    expect(screen.getByLabelText("Password")).toHaveAttribute("type", "password");
    expect(screen.getByLabelText("SSL mode")).toHaveDisplayValue("prefer");
    expect(within(screen.getByLabelText("SSL mode")).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "—",
      "disable",
      "prefer",
      "require",
      "verify-ca",
      "verify-full",
    ]);
    expect(describedBy(screen.getByLabelText("Default schema"))).toContain("Put first on the search path of queries.");
  });

  it("checks required fields before sending, then creates the connection and opens it", async () => {
    useConnections();
    let sent: unknown;
    server.use(
      http.post("/api/v1/connections", async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json({ ...savedPostgres, id: 11 }, { status: 201 });
      }),
    );
    const { user, router } = await renderApp("/connections/new");
    await user.click(await screen.findByRole("button", { name: /PostgreSQL/ }));
    await user.click(screen.getByRole("button", { name: "Create connection" }));
    for (const label of ["Name", "Host", "Database", "User"]) {
      expect(describedBy(screen.getByLabelText(label))).toContain("Required.");
      expect(screen.getByLabelText(label)).toHaveAttribute("aria-invalid", "true");
    }
    expect(describedBy(screen.getByLabelText("Password"))).not.toContain("Required.");
    expect(sent).toBeUndefined();

    await user.type(screen.getByLabelText("Name"), "Warehouse");
    await user.type(screen.getByLabelText("Host"), "db.internal");
    await user.type(screen.getByLabelText("Database"), "dw");
    await user.type(screen.getByLabelText("User"), "loader");
    await user.type(screen.getByLabelText("Password"), "s3cret");
    await user.click(screen.getByRole("button", { name: "Create connection" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/connections/11");
    });
    expect(sent).toEqual({
      name: "Warehouse",
      type: "postgres",
      config: { host: "db.internal", port: 5432, database: "dw", user: "loader", password: "s3cret", sslmode: "prefer" },
    });
  });

  it("shows the server's field errors next to their fields", async () => {
    useConnections();
    server.use(
      http.post("/api/v1/connections", () =>
        problem(422, "invalid config", {
          errors: [
            { field: "config.port", message: "must be at most 65535" },
            { field: "name", message: "is already taken" },
          ],
        }),
      ),
    );
    const { user } = await renderApp("/connections/new");
    await user.click(await screen.findByRole("button", { name: /PostgreSQL/ }));
    await user.type(screen.getByLabelText("Name"), "Warehouse");
    await user.type(screen.getByLabelText("Host"), "db");
    await user.type(screen.getByLabelText("Database"), "dw");
    await user.type(screen.getByLabelText("User"), "u");
    await user.click(screen.getByRole("button", { name: "Create connection" }));
    await waitFor(() => {
      expect(describedBy(screen.getByLabelText("Port"))).toContain("must be at most 65535");
    });
    expect(screen.getByLabelText("Port")).toHaveAttribute("aria-invalid", "true");
    expect(describedBy(screen.getByLabelText("Name"))).toContain("is already taken");
    expect(screen.getByText("invalid config")).toBeInTheDocument();
  });

  it("keeps saved secrets: 'unchanged' on edit, sent back masked unless a new value is typed", async () => {
    useConnections();
    const bodies: unknown[] = [];
    server.use(
      http.patch("/api/v1/connections/:id", async ({ request }) => {
        bodies.push(await request.json());
        return HttpResponse.json(savedPostgres);
      }),
    );
    const { user, router } = await renderApp("/connections/11/edit");
    const password = await screen.findByLabelText("Password");
    expect(password).toHaveValue("");
    expect(password).toHaveAttribute("placeholder", "unchanged");
    expect(screen.getByLabelText("Host")).toHaveValue("db.internal");
    expect(screen.getByLabelText("SSL mode")).toHaveDisplayValue("require");

    await user.clear(screen.getByLabelText("Database"));
    await user.type(screen.getByLabelText("Database"), "dw2");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/connections/11");
    });
    expect(bodies[0]).toEqual({
      name: "Warehouse",
      config: { host: "db.internal", port: 5432, database: "dw2", user: "loader", password: "********", sslmode: "require" },
    });

    await router.navigate({ to: "/connections/$connectionId/edit", params: { connectionId: 11 } });
    await user.type(await screen.findByLabelText("Password"), "n3w");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => {
      expect(bodies).toHaveLength(2);
    });
    expect((bodies[1] as { config: { password: string } }).config.password).toBe("n3w");
  });

  it("asks for the secrets again when the connection is pointed elsewhere", async () => {
    useConnections();
    const bodies: unknown[] = [];
    server.use(
      http.patch("/api/v1/connections/:id", async ({ request }) => {
        bodies.push(await request.json());
        return HttpResponse.json(savedPostgres);
      }),
    );
    const { user, router } = await renderApp("/connections/11/edit");
    const host = await screen.findByLabelText("Host");
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
    await user.clear(host);
    await user.type(host, "db2.internal");
    expect(screen.getByRole("status")).toHaveTextContent("You changed where this connection points (host)");

    await user.click(screen.getByRole("button", { name: "Save changes" }));
    const password = screen.getByLabelText("Password");
    expect(describedBy(password)).toContain("Enter it again");
    expect(password).toHaveAttribute("aria-invalid", "true");
    expect(bodies).toHaveLength(0);

    await user.type(password, "n3w-secret");
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/connections/11");
    });
    expect(bodies[0]).toEqual({
      name: "Warehouse",
      config: { host: "db2.internal", port: 5432, database: "dw", user: "loader", password: "n3w-secret", sslmode: "require" },
    });
  });

  it("offers uploaded files instead of a number for a file id", async () => {
    useConnections();
    let sent: unknown;
    server.use(
      http.post("/api/v1/connections", async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json({ ...brokenSqlite }, { status: 201 });
      }),
    );
    const { user } = await renderApp("/connections/new");
    await user.click(await screen.findByRole("button", { name: /SQLite/ }));
    const picker = screen.getByLabelText("File");
    await within(picker).findByRole("option", { name: "legacy.sqlite (sqlite, 2 KB)" });
    await user.type(screen.getByLabelText("Name"), "Legacy");
    await user.selectOptions(picker, "legacy.sqlite (sqlite, 2 KB)");
    await user.click(screen.getByRole("button", { name: "Create connection" }));
    await waitFor(() => {
      expect(sent).toEqual({ name: "Legacy", type: "sqlite", config: { file_id: 3 } });
    });
  });

  it("renders nested objects and lists, with JSON text for parts without a form", async () => {
    server.use(http.get("/api/v1/connection-types", () => HttpResponse.json({ items: [restApiType] })));
    let sent: unknown;
    server.use(
      http.post("/api/v1/connections", async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json({ ...savedPostgres, type: "rest_api" }, { status: 201 });
      }),
    );
    const { user } = await renderApp("/connections/new");
    await user.click(await screen.findByRole("button", { name: /REST API/ }));
    // A required list with minItems starts with one item; optional objects start empty.
    const resource = screen.getByRole("group", { name: "Resources 1" });
    expect(within(resource).getByLabelText("Name")).toBeRequired();
    expect(screen.getByRole("group", { name: "Authentication" })).toBeInTheDocument();
    expect(describedBy(screen.getByLabelText("Headers"))).toContain("Enter JSON.");

    const [connectionName] = screen.getAllByLabelText("Name");
    if (!connectionName) throw new Error("no name field");
    await user.type(connectionName, "API");
    await user.type(screen.getByLabelText("Base URL"), "https://api.example.com");
    await user.type(within(resource).getByLabelText("Name"), "users");
    await user.type(within(resource).getByLabelText("Path"), "/users");
    await user.type(screen.getByLabelText("Headers"), "{{not json");
    await user.click(screen.getByRole("button", { name: "Create connection" }));
    expect(describedBy(screen.getByLabelText("Headers"))).toContain("This is not valid JSON.");
    expect(sent).toBeUndefined();

    await user.clear(screen.getByLabelText("Headers"));
    await user.type(screen.getByLabelText("Headers"), '{{"X-Key": "k"}');
    await user.type(within(resource).getByLabelText("Primary key"), '"id"');
    await user.selectOptions(within(screen.getByRole("group", { name: "Authentication" })).getByLabelText("Type"), "bearer");
    await user.type(screen.getByLabelText("Scopes"), "read{Enter}write");
    await user.click(screen.getByRole("button", { name: "Add to Resources" }));
    expect(screen.getByRole("group", { name: "Resources 2" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Remove Resources 2" }));
    await user.click(screen.getByRole("button", { name: "Create connection" }));
    await waitFor(() => {
      expect(sent).toEqual({
        name: "API",
        type: "rest_api",
        config: {
          base_url: "https://api.example.com",
          headers: { "X-Key": "k" },
          auth: { type: "bearer", scopes: ["read", "write"] },
          resources: [{ name: "users", path: "/users", primary_key: "id" }],
        },
      });
    });
  });
});

describe("test button", () => {
  it("tests the unsaved form and shows 'Testing…', then the latency", async () => {
    useConnections();
    const held = gate();
    let sent: unknown;
    server.use(
      http.post("/api/v1/connections/test", async ({ request }) => {
        sent = await request.json();
        await held.closed;
        return HttpResponse.json<Schemas["ConnectionTestResult"]>({ ok: true, message: "connected", latency_ms: 37 });
      }),
    );
    const { user } = await renderApp("/connections/new");
    await user.click(await screen.findByRole("button", { name: /PostgreSQL/ }));
    await user.click(screen.getByRole("button", { name: "Test connection" }));
    // Required fields are checked first; nothing is sent.
    expect(describedBy(screen.getByLabelText("Host"))).toContain("Required.");
    expect(sent).toBeUndefined();

    await user.type(screen.getByLabelText("Host"), "127.0.0.1");
    await user.type(screen.getByLabelText("Database"), "dw");
    await user.type(screen.getByLabelText("User"), "postgres");
    await user.click(screen.getByRole("button", { name: "Test connection" }));
    const pending = await screen.findByRole("button", { name: "Testing…" });
    expect(pending).toBeDisabled();
    held.open();
    expect(await screen.findByText("Connected")).toBeInTheDocument();
    expect(screen.getByText("37 ms")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Test connection" })).toBeEnabled();
    expect(sent).toEqual({
      type: "postgres",
      config: { host: "127.0.0.1", port: 5432, database: "dw", user: "postgres", sslmode: "prefer" },
    });
  });

  it("shows the failure message of a failed test and the problem of a refused one", async () => {
    useConnections();
    server.use(
      http.post("/api/v1/connections/:id/test", () =>
        HttpResponse.json<Schemas["ConnectionTestResult"]>({ ok: false, message: "password authentication failed", latency_ms: 5 }),
      ),
    );
    const { user } = await renderApp("/connections/11");
    await user.click(await screen.findByRole("button", { name: "Test connection" }));
    expect(await screen.findByText("password authentication failed")).toBeInTheDocument();
    expect(screen.getByText("5 ms")).toBeInTheDocument();

    server.use(http.post("/api/v1/connections/:id/test", () => problem(429, "Slow down.", {}, { "Retry-After": "3" })));
    await user.click(screen.getByRole("button", { name: "Test connection" }));
    expect(await screen.findByText("Too many attempts. Please wait 3 seconds and try again.")).toBeInTheDocument();
  });

  it("tests the saved connection from its edit form while its secrets are masked", async () => {
    useConnections();
    let savedTests = 0;
    server.use(
      http.post("/api/v1/connections/11/test", () => {
        savedTests += 1;
        return HttpResponse.json<Schemas["ConnectionTestResult"]>({ ok: true, message: "ok", latency_ms: 4 });
      }),
    );
    const { user } = await renderApp("/connections/11/edit");
    await user.type(await screen.findByLabelText("Default schema"), "s");
    expect(screen.getByText(/save first to test your changes/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Test connection" }));
    expect(await screen.findByText("4 ms")).toBeInTheDocument();
    expect(savedTests).toBe(1);
  });
});

describe("schema browser", () => {
  it("lists schemas, tables and columns with type, nullability and primary key", async () => {
    useConnections();
    await renderApp("/connections/11");
    const tree = await screen.findByRole("list", { name: "Schemas" });
    expect(within(tree).getByText("public")).toBeInTheDocument();
    expect(within(tree).getByText("reporting")).toBeInTheDocument();
    const customers = within(tree).getByRole("list", { name: "Columns of customers" });
    const id = within(customers).getByText("id").closest("li");
    if (!id) throw new Error("no id column");
    expect(id).toHaveTextContent("bigint");
    expect(id).toHaveTextContent("not null");
    expect(within(id).getByText("Primary key")).toBeInTheDocument();
    const email = within(customers).getByText("email").closest("li");
    expect(email).toHaveTextContent("nullable");
    expect(email).not.toHaveTextContent("Primary key");
    expect(within(tree).getByText("View")).toBeInTheDocument();
  });

  it("filters tables and columns by the search box", async () => {
    useConnections();
    const { user } = await renderApp("/connections/11");
    const search = await screen.findByRole("searchbox", { name: "Search tables and columns" });
    await user.type(search, "email");
    // No table is named like "email": the tables with such a column remain, with those columns only.
    await waitFor(() => {
      expect(screen.getAllByTestId("catalog-table").map((li) => li.querySelector(".font-mono")?.textContent)).toEqual([
        "customers",
        "orders",
      ]);
    });
    expect(within(screen.getByRole("list", { name: "Columns of orders" })).getAllByRole("listitem")).toHaveLength(1);
    expect(screen.queryByText("reporting")).not.toBeInTheDocument();

    await user.clear(search);
    await user.type(search, "ORDERS");
    await waitFor(() => {
      expect(screen.getAllByTestId("catalog-table")).toHaveLength(1);
    });
    expect(within(screen.getByRole("list", { name: "Columns of orders" })).getAllByRole("listitem")).toHaveLength(3);

    await user.clear(search);
    await user.type(search, "nothing-like-this");
    expect(await screen.findByText("No table or column matches “nothing-like-this”.")).toBeInTheDocument();
  });

  it("discovers the catalog again with Refresh", async () => {
    useConnections();
    const refreshes: string[] = [];
    server.use(
      http.get("/api/v1/connections/:id/catalog", ({ request }) => {
        const refresh = new URL(request.url).searchParams.get("refresh");
        if (refresh === "true") {
          refreshes.push(refresh);
          return HttpResponse.json<Schemas["Catalog"]>({
            ...catalog,
            schemas: [{ name: "public", tables: [{ name: "brand_new", kind: "table", columns: [] }] }],
          });
        }
        return HttpResponse.json(catalog);
      }),
    );
    const { user } = await renderApp("/connections/11");
    await screen.findByText("customers");
    await user.click(screen.getByRole("button", { name: "Refresh" }));
    expect(await screen.findByText("brand_new")).toBeInTheDocument();
    expect(screen.queryByText("customers")).not.toBeInTheDocument();
    expect(refreshes).toEqual(["true"]);
  });

  it("shows why the catalog could not be read", async () => {
    useConnections();
    server.use(http.get("/api/v1/connections/:id/catalog", () => problem(502, "connection refused")));
    await renderApp("/connections/11");
    expect(await screen.findByText("connection refused")).toBeInTheDocument();
  });
});

describe("sql console route", () => {
  it("loads the console with its CodeMirror editor on the connection's SQL tab", async () => {
    useConnections();
    const { user, router } = await renderApp("/connections/11");
    await user.click(await screen.findByRole("link", { name: "SQL console" }));
    expect(await screen.findByRole("textbox", { name: "SQL query" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/connections/11/query");
    expect(screen.getByRole("link", { name: "SQL console" })).toHaveAttribute("aria-current", "page");
    expect(screen.getByLabelText("Row limit")).toHaveValue("100");
  });

  it("answers a non-numeric connection id with the not-found page", async () => {
    useConnections();
    await renderApp("/connections/abc");
    expect(await screen.findByRole("heading", { level: 1, name: "Page not found" })).toBeInTheDocument();
  });
});
