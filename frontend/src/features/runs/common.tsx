import { Link } from "@tanstack/react-router";
import {
  BanIcon,
  CircleCheckIcon,
  CircleDashedIcon,
  CircleSlashIcon,
  CircleXIcon,
  LoaderCircleIcon,
  type LucideIcon,
} from "lucide-react";
import { useTranslation } from "react-i18next";
import { Badge, type BadgeProps } from "@/components/ui/badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useFormatDateTime } from "@/lib/datetime";
import type { Run, RunStatus } from "./api";

const statusLook: Record<RunStatus, { variant: BadgeProps["variant"]; icon: LucideIcon; spin?: boolean }> = {
  queued: { variant: "secondary", icon: CircleDashedIcon },
  running: { variant: "default", icon: LoaderCircleIcon, spin: true },
  success: { variant: "success", icon: CircleCheckIcon },
  failed: { variant: "destructive", icon: CircleXIcon },
  cancelled: { variant: "outline", icon: BanIcon },
  skipped: { variant: "outline", icon: CircleSlashIcon },
};

export function RunStatusBadge({ status }: { status: RunStatus }) {
  const { t } = useTranslation();
  const look = statusLook[status];
  const Icon = look.icon;
  return (
    <Badge variant={look.variant} data-status={status}>
      <Icon aria-hidden="true" className={look.spin ? "animate-spin motion-reduce:animate-none" : undefined} />
      {t(`runs.status.${status}`)}
    </Badge>
  );
}

/** 1234 ms → "1.2 s", 75 s → "1 min 15 s", in the interface language. */
export function useFormatDuration() {
  const { t } = useTranslation();
  return (ms: number | null | undefined): string => {
    if (ms === null || ms === undefined) return "—";
    if (ms < 1000) return t("runs.duration.ms", { value: Math.round(ms) });
    const seconds = ms / 1000;
    if (seconds < 60) return t("runs.duration.s", { value: seconds.toFixed(1) });
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return t("runs.duration.min", { min: minutes, s: Math.round(seconds % 60) });
    return t("runs.duration.h", { h: Math.floor(minutes / 60), min: minutes % 60 });
  };
}

export function useFormatNumber() {
  const { i18n } = useTranslation();
  const format = new Intl.NumberFormat(i18n.language);
  return (value: number): string => format.format(value);
}

/** How long a run took, or has been running so far. */
export function runDuration(run: Run, now = Date.now()): number | null {
  if (run.duration_ms !== null && run.duration_ms !== undefined) return run.duration_ms;
  if (run.started_at && !run.finished_at) return Math.max(0, now - new Date(run.started_at).getTime());
  return null;
}

/** A table of runs; each row links to its run. `showTarget` adds the pipeline (or other target) column. */
export function RunsTable({ runs, showTarget, label }: { runs: Run[]; showTarget: boolean; label: string }) {
  const { t } = useTranslation();
  const formatDate = useFormatDateTime();
  const formatDuration = useFormatDuration();
  const formatNumber = useFormatNumber();
  return (
    <Table aria-label={label}>
      <TableHeader>
        <TableRow>
          <TableHead>{t("runs.columns.run")}</TableHead>
          <TableHead>{t("runs.columns.status")}</TableHead>
          {showTarget ? <TableHead>{t("runs.columns.target")}</TableHead> : null}
          <TableHead>{t("runs.columns.trigger")}</TableHead>
          <TableHead>{t("runs.columns.created")}</TableHead>
          <TableHead>{t("runs.columns.duration")}</TableHead>
          <TableHead className="text-right">{t("runs.columns.rows")}</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {runs.map((run) => (
          <TableRow key={run.id}>
            <TableCell className="font-medium">
              <Link to="/runs/$runId" params={{ runId: run.id }} className="hover:underline">
                {t("runs.runNumber", { id: run.id })}
              </Link>
              {run.dag_run_id ? (
                <Link
                  to="/runs"
                  search={{ dag_run_id: run.dag_run_id }}
                  className="block text-xs font-normal text-muted-foreground hover:underline"
                  data-dag-run={run.dag_run_id}
                >
                  {t("runs.dagRun.short", { id: run.dag_run_id })}
                </Link>
              ) : null}
            </TableCell>
            <TableCell>
              <span className="flex flex-col items-start gap-1">
                <RunStatusBadge status={run.status} />
                {run.error ? (
                  <span className="line-clamp-1 max-w-xs text-xs text-destructive" title={run.error}>
                    {run.error}
                  </span>
                ) : null}
              </span>
            </TableCell>
            {showTarget ? (
              <TableCell>
                {run.target_type === "pipeline" ? (
                  <Link to="/pipelines/$pipelineId" params={{ pipelineId: run.target_id }} className="hover:underline">
                    {run.target_name ?? t("runs.targetNumber", { type: t(`runs.targetType.${run.target_type}`), id: run.target_id })}
                  </Link>
                ) : (
                  (run.target_name ?? t("runs.targetNumber", { type: t(`runs.targetType.${run.target_type}`), id: run.target_id }))
                )}
              </TableCell>
            ) : null}
            <TableCell>
              {t(`runs.trigger.${run.trigger}`)}
              {run.attempt > 1 ? <span className="text-xs text-muted-foreground"> · {t("runs.attempt", { n: run.attempt })}</span> : null}
            </TableCell>
            <TableCell className="whitespace-nowrap">
              <time dateTime={run.created_at}>{formatDate(run.created_at)}</time>
            </TableCell>
            <TableCell className="whitespace-nowrap">{formatDuration(runDuration(run))}</TableCell>
            <TableCell className="text-right tabular-nums">{formatNumber(run.rows_loaded)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
