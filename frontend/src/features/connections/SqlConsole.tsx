import { useMutation } from "@tanstack/react-query";
import { PlayIcon, TriangleAlertIcon } from "lucide-react";
import { useId, useState, type ComponentType } from "react";
import { useTranslation } from "react-i18next";
import { ErrorAlert } from "@/components/form";
import { NeedsRole } from "@/components/needs-role";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Label, NativeSelect } from "@/components/ui/input";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useHasRole } from "@/features/auth/hooks";
import { runQuery, type QueryResult } from "./api";

/** What the console needs from an editor: the text, its changes, and Ctrl/Cmd+Enter to run. */
export type SqlEditorProps = {
  value: string;
  onChange: (value: string) => void;
  onRun: () => void;
  label: string;
};

/** The row caps offered; the server allows at most 1000. */
export const rowLimits = [10, 100, 500, 1000] as const;

/** Cells as text: NULL stands out, objects and arrays as JSON. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "object") return JSON.stringify(value);
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return "";
}

/**
 * The SQL console of a connection: a read-only query with a row cap, run with the button or
 * Ctrl/Cmd+Enter, and its result grid. The editor is passed in, so the page can use CodeMirror
 * (loaded with its route) and tests a plain text area.
 */
export function SqlConsole({
  connectionId,
  Editor,
  initialSql = "",
}: {
  connectionId: number;
  Editor: ComponentType<SqlEditorProps>;
  initialSql?: string;
}) {
  const { t } = useTranslation();
  const canQuery = useHasRole("editor");
  const [sql, setSql] = useState(initialSql);
  const [limit, setLimit] = useState<number>(100);
  const limitId = useId();
  const run = useMutation({
    mutationFn: (input: { sql: string; limit: number }) => runQuery(connectionId, input.sql, input.limit),
  });

  if (!canQuery) return <NeedsRole role="editor" what={t("connections.console.editorOnly")} />;

  function start() {
    if (sql.trim() === "" || run.isPending) return;
    run.mutate({ sql, limit });
  }

  return (
    <section aria-label={t("connections.tabs.query")} className="flex flex-col gap-4">
      <div className="overflow-hidden rounded-lg border">
        <Editor value={sql} onChange={setSql} onRun={start} label={t("connections.console.editor")} />
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <Button onClick={start} disabled={run.isPending || sql.trim() === ""}>
          <PlayIcon aria-hidden="true" />
          {run.isPending ? t("connections.console.running") : t("connections.console.run")}
        </Button>
        <span className="text-xs text-muted-foreground">{t("connections.console.shortcut")}</span>
        <span className="ml-auto flex items-center gap-2">
          <Label htmlFor={limitId}>{t("connections.console.limit")}</Label>
          <NativeSelect
            id={limitId}
            className="w-24"
            value={String(limit)}
            onChange={(event) => {
              setLimit(Number(event.target.value));
            }}
          >
            {rowLimits.map((value) => (
              <option key={value} value={String(value)}>
                {value}
              </option>
            ))}
          </NativeSelect>
        </span>
      </div>
      <div aria-live="polite" className="flex flex-col gap-3">
        {run.isError ? <ErrorAlert error={run.error} title={t("connections.console.failed")} /> : null}
        {run.isSuccess ? <ResultGrid result={run.data} limit={run.variables.limit} /> : null}
      </div>
    </section>
  );
}

function ResultGrid({ result, limit }: { result: QueryResult; limit: number }) {
  const { t } = useTranslation();
  return (
    <div className="flex flex-col gap-3">
      <p className="text-sm text-muted-foreground" data-testid="row-count">
        {t("connections.console.rows", { count: result.rows.length })}
      </p>
      {result.truncated ? (
        <Alert>
          <TriangleAlertIcon aria-hidden="true" />
          <AlertTitle>{t("connections.console.truncatedTitle")}</AlertTitle>
          <AlertDescription>
            <p>{t("connections.console.truncated", { count: limit })}</p>
          </AlertDescription>
        </Alert>
      ) : null}
      {result.columns.length === 0 ? (
        <p className="text-sm text-muted-foreground">{t("connections.console.noColumns")}</p>
      ) : (
        <div className="max-h-[32rem] overflow-auto">
          <Table aria-label={t("connections.console.results")}>
            <TableHeader>
              <TableRow>
                {result.columns.map((column, index) => (
                  <TableHead key={`${String(index)}-${column}`} className="font-mono whitespace-nowrap">
                    {column}
                  </TableHead>
                ))}
              </TableRow>
            </TableHeader>
            <TableBody>
              {result.rows.map((row, rowIndex) => (
                <TableRow key={rowIndex}>
                  {result.columns.map((column, index) => {
                    const value = row[index];
                    const isNull = value === null || value === undefined;
                    return (
                      <TableCell
                        key={`${String(index)}-${column}`}
                        className={isNull ? "font-mono text-xs text-muted-foreground italic" : "font-mono text-xs whitespace-pre"}
                      >
                        {formatCell(value)}
                      </TableCell>
                    );
                  })}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
    </div>
  );
}
