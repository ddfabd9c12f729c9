import { Fragment } from "react";
import { useTranslation } from "react-i18next";
import type { Schemas } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatCell } from "@/features/connections/SqlConsole";
import { cn } from "@/lib/utils";
import { useFormatDuration, useFormatNumber } from "./common";

export type RunNode = Schemas["RunNodeStats"];

/** A node's name from its id, for runs recorded before nodes carried their name: `model.datanika.stg_orders` → `stg_orders`. */
export function nodeName(uniqueId: string): string {
  const parts = uniqueId.split(".");
  if (parts.length <= 2) return uniqueId;
  return parts.slice(2).join(".");
}

const bad = new Set(["error", "fail"]);

/** The columns of failing sample rows: every key of any row, in first-seen order. */
export function sampleColumns(rows: readonly Record<string, unknown>[]): string[] {
  const seen: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!seen.includes(key)) seen.push(key);
  return seen;
}

/** The nodes of a transformation's or job's run as they finish, failing tests with their sample rows. */
export function NodesTable({ nodes, active }: { nodes: readonly RunNode[]; active: boolean }) {
  const { t } = useTranslation();
  const formatDuration = useFormatDuration();
  const formatNumber = useFormatNumber();
  if (nodes.length === 0) {
    return <p className="text-sm text-muted-foreground">{active ? t("runs.nodes.pending") : t("runs.nodes.none")}</p>;
  }
  return (
    <Table aria-label={t("runs.nodes.title")}>
      <TableHeader>
        <TableRow>
          <TableHead>{t("runs.nodes.node")}</TableHead>
          <TableHead>{t("runs.nodes.type")}</TableHead>
          <TableHead>{t("runs.nodes.status")}</TableHead>
          <TableHead className="text-right">{t("runs.nodes.rows")}</TableHead>
          <TableHead className="text-right">{t("runs.nodes.seconds")}</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {nodes.map((node) => {
          const samples = node.sample_rows ?? [];
          const failed = bad.has(node.status);
          return (
            <Fragment key={node.unique_id}>
              <TableRow data-status={node.status}>
                <TableCell className="font-mono text-xs" title={node.unique_id}>
                  {node.name === "" ? nodeName(node.unique_id) : node.name}
                </TableCell>
                <TableCell className="text-xs">{node.resource_type}</TableCell>
                <TableCell>
                  <Badge
                    variant="outline"
                    className={cn(
                      failed && "border-destructive text-destructive",
                      node.status === "warn" && "border-amber-500 text-amber-600",
                      (node.status === "success" || node.status === "pass") && "border-success/50 text-success",
                    )}
                  >
                    {t(`runs.nodes.statuses.${node.status}`)}
                  </Badge>
                  {node.failures > 0 ? <span className="ml-2 text-xs">{t("runs.nodes.failures", { count: node.failures })}</span> : null}
                </TableCell>
                <TableCell className="text-right tabular-nums">{formatNumber(node.rows_affected)}</TableCell>
                <TableCell className="text-right tabular-nums">{formatDuration(node.seconds * 1000)}</TableCell>
              </TableRow>
              {(failed || node.status === "warn") && (node.message !== "" || samples.length > 0) ? (
                <TableRow>
                  <TableCell colSpan={5} className="bg-muted/40">
                    {node.message !== "" ? <p className="text-xs whitespace-pre-wrap">{node.message}</p> : null}
                    {samples.length > 0 ? <SampleRows rows={samples} /> : null}
                  </TableCell>
                </TableRow>
              ) : null}
            </Fragment>
          );
        })}
      </TableBody>
    </Table>
  );
}

function SampleRows({ rows }: { rows: readonly Record<string, unknown>[] }) {
  const { t } = useTranslation();
  const columns = sampleColumns(rows);
  return (
    <details className="mt-2" open>
      <summary className="cursor-pointer text-xs font-medium">{t("runs.nodes.samples", { count: rows.length })}</summary>
      <table className="mt-1 text-xs">
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} className="pr-3 text-left font-mono">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={index}>
              {columns.map((column) => (
                <td key={column} className="pr-3 font-mono">
                  {formatCell(row[column])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
