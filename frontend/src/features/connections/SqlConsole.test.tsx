import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@/api/client";
import { session } from "@/features/auth/auth";
import { problem, tokens } from "@/test/identity";
import { server } from "@/test/server";
import { formatCell, SqlConsole, type SqlEditorProps } from "./SqlConsole";

/** The editor of the tests: a text area with the console's Ctrl/Cmd+Enter contract. */
function TextareaEditor({ value, onChange, onRun, label }: SqlEditorProps) {
  return (
    <textarea
      aria-label={label}
      value={value}
      onChange={(event) => {
        onChange(event.target.value);
      }}
      onKeyDown={(event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          onRun();
        }
      }}
    />
  );
}

function renderConsole(role: "editor" | "viewer" = "editor") {
  session.signIn(tokens(role));
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const user = userEvent.setup();
  render(
    <QueryClientProvider client={queryClient}>
      <SqlConsole connectionId={11} Editor={TextareaEditor} />
    </QueryClientProvider>,
  );
  return { user };
}

describe("sql console", () => {
  it("runs with Ctrl+Enter and shows the rows in a grid", async () => {
    let sent: unknown;
    server.use(
      http.post("/api/v1/connections/11/query", async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json<Schemas["QueryResult"]>({
          columns: ["id", "email", "meta"],
          rows: [
            [1, "ada@example.com", { vip: true }],
            [2, null, null],
          ],
          truncated: false,
        });
      }),
    );
    const { user } = renderConsole();
    expect(screen.getByRole("button", { name: "Run" })).toBeDisabled();
    await user.type(screen.getByLabelText("SQL query"), "select * from customers");
    await user.keyboard("{Control>}{Enter}{/Control}");
    const grid = await screen.findByRole("table", { name: "Query results" });
    expect(within(grid).getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["id", "email", "meta"]);
    const rows = within(grid).getAllByRole("row").slice(1);
    expect(rows.map((row) => within(row).getAllByRole("cell").map((td) => td.textContent))).toEqual([
      ["1", "ada@example.com", '{"vip":true}'],
      ["2", "NULL", "NULL"],
    ]);
    expect(screen.getByTestId("row-count")).toHaveTextContent("2 rows");
    expect(screen.queryByText("Truncated")).not.toBeInTheDocument();
    expect(sent).toEqual({ sql: "select * from customers", limit: 100 });
  });

  it("sends the chosen row cap and says when the result was truncated", async () => {
    let sent: unknown;
    server.use(
      http.post("/api/v1/connections/11/query", async ({ request }) => {
        sent = await request.json();
        return HttpResponse.json<Schemas["QueryResult"]>({
          columns: ["n"],
          rows: Array.from({ length: 10 }, (_, i) => [i]),
          truncated: true,
        });
      }),
    );
    const { user } = renderConsole();
    const limit = screen.getByLabelText("Row limit");
    expect(within(limit).getAllByRole("option").map((o) => o.textContent)).toEqual(["10", "100", "500", "1000"]);
    await user.selectOptions(limit, "10");
    await user.type(screen.getByLabelText("SQL query"), "select generate_series(1, 50)");
    await user.click(screen.getByRole("button", { name: "Run" }));
    expect(await screen.findByText("Truncated")).toBeInTheDocument();
    expect(screen.getByText("Only the first 10 rows are shown; the query returned more.")).toBeInTheDocument();
    expect(sent).toEqual({ sql: "select generate_series(1, 50)", limit: 10 });
  });

  it("shows the server's error and keeps the query for another try", async () => {
    server.use(http.post("/api/v1/connections/11/query", () => problem(422, 'relation "nope" does not exist')));
    const { user } = renderConsole();
    await user.type(screen.getByLabelText("SQL query"), "select * from nope");
    await user.click(screen.getByRole("button", { name: "Run" }));
    expect(await screen.findByText('relation "nope" does not exist')).toBeInTheDocument();
    expect(screen.getByLabelText("SQL query")).toHaveValue("select * from nope");
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
  });

  it("shows 'Running…' while the query runs", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.use(
      http.post("/api/v1/connections/11/query", async () => {
        await held;
        return HttpResponse.json<Schemas["QueryResult"]>({ columns: ["x"], rows: [[1]], truncated: false });
      }),
    );
    const { user } = renderConsole();
    await user.type(screen.getByLabelText("SQL query"), "select 1");
    await user.click(screen.getByRole("button", { name: "Run" }));
    expect(await screen.findByRole("button", { name: "Running…" })).toBeDisabled();
    release();
    await waitFor(() => {
      expect(screen.getByTestId("row-count")).toHaveTextContent("1 row");
    });
  });

  it("tells a viewer that queries need the editor role", () => {
    renderConsole("viewer");
    expect(screen.getByText("Running queries needs the editor role.")).toBeInTheDocument();
    expect(screen.queryByLabelText("SQL query")).not.toBeInTheDocument();
  });

  it("formats cells", () => {
    expect(formatCell(null)).toBe("NULL");
    expect(formatCell(undefined)).toBe("NULL");
    expect(formatCell([1, "a"])).toBe('[1,"a"]');
    expect(formatCell(false)).toBe("false");
    expect(formatCell("text")).toBe("text");
  });
});
