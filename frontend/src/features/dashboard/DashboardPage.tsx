import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { TriangleAlertIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { NodeLink, NodeTypeIcon } from "@/features/dag/common";
import { dashboardQuery, type Dashboard } from "@/features/runs/api";
import { RunStatusBadge, useFormatNumber } from "@/features/runs/common";
import { formatInZone } from "@/features/schedules/api";
import { useFormatDateTime } from "@/lib/datetime";
import { RowsPerDayChart, RunsPerDayChart } from "./charts";

export function DashboardPage() {
  const { t } = useTranslation();
  const dashboard = useQuery(dashboardQuery);
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={t("nav.dashboard")} description={t("sections.dashboard.description")} />
      {dashboard.isPending ? <Loading /> : null}
      {dashboard.isError ? <ErrorAlert error={dashboard.error} title={t("dashboard.loadFailed")} /> : null}
      {dashboard.isSuccess ? <DashboardView dashboard={dashboard.data} /> : null}
    </div>
  );
}

/** Rows loaded on the current UTC day (the API's days are UTC dates). */
export function rowsToday(dashboard: Dashboard, now = new Date()): number {
  const today = now.toISOString().slice(0, 10);
  return dashboard.days.find((day) => day.day === today)?.rows_loaded ?? 0;
}

function StatCard({ label, value, hint, to }: { label: string; value: string; hint?: string; to?: "/connections" | "/pipelines" | "/runs" }) {
  const body = (
    <Card className="h-full transition-colors hover:bg-accent/40">
      <CardHeader className="pb-1">
        <CardDescription>{label}</CardDescription>
      </CardHeader>
      <CardContent>
        <p className="text-2xl font-semibold tabular-nums">{value}</p>
        {hint ? <p className="text-xs text-muted-foreground">{hint}</p> : null}
      </CardContent>
    </Card>
  );
  return (
    <li>
      {to ? (
        <Link to={to} className="block h-full rounded-xl outline-none focus-visible:ring-2 focus-visible:ring-ring">
          {body}
        </Link>
      ) : (
        body
      )}
    </li>
  );
}

function DashboardView({ dashboard }: { dashboard: Dashboard }) {
  const { t, i18n } = useTranslation();
  const formatNumber = useFormatNumber();
  const formatDate = useFormatDateTime();
  const percent = new Intl.NumberFormat(i18n.language, { style: "percent", maximumFractionDigits: 1 });
  const rate = (value: number | null | undefined) => (value === null || value === undefined ? "—" : percent.format(value));
  const anyRuns = dashboard.days.some((day) => day.success + day.failed + day.cancelled + day.other > 0);
  return (
    <>
      <ul aria-label={t("dashboard.stats")} className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-6">
        <StatCard label={t("dashboard.connections")} value={formatNumber(dashboard.counts.connections)} to="/connections" />
        <StatCard label={t("dashboard.pipelines")} value={formatNumber(dashboard.counts.pipelines)} to="/pipelines" />
        <StatCard label={t("dashboard.activeRuns")} value={formatNumber(dashboard.active_runs)} to="/runs" />
        <StatCard
          label={t("dashboard.successRate24h")}
          value={rate(dashboard.runs_24h.success_rate)}
          hint={t("dashboard.runsCount", { count: dashboard.runs_24h.total })}
        />
        <StatCard
          label={t("dashboard.successRate7d")}
          value={rate(dashboard.runs_7d.success_rate)}
          hint={t("dashboard.runsCount", { count: dashboard.runs_7d.total })}
        />
        <StatCard label={t("dashboard.rowsToday")} value={formatNumber(rowsToday(dashboard))} />
      </ul>
      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>{t("dashboard.runsChart")}</CardTitle>
            <CardDescription>{t("dashboard.daysHint", { count: dashboard.days.length })}</CardDescription>
          </CardHeader>
          <CardContent>
            {anyRuns ? <RunsPerDayChart days={dashboard.days} /> : <EmptyState>{t("dashboard.noRuns")}</EmptyState>}
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>{t("dashboard.rowsChart")}</CardTitle>
            <CardDescription>{t("dashboard.daysHint", { count: dashboard.days.length })}</CardDescription>
          </CardHeader>
          <CardContent>
            {dashboard.days.some((day) => day.rows_loaded > 0) ? (
              <RowsPerDayChart days={dashboard.days} />
            ) : (
              <EmptyState>{t("dashboard.noRows")}</EmptyState>
            )}
          </CardContent>
        </Card>
      </div>
      {dashboard.overdue_schedules.length > 0 ? (
        <Alert variant="destructive" role="alert">
          <TriangleAlertIcon aria-hidden="true" />
          <AlertTitle>{t("dashboard.overdueTitle", { count: dashboard.overdue_schedules.length })}</AlertTitle>
          <AlertDescription>
            <p>{t("dashboard.overdueBody")}</p>
            <ul aria-label={t("dashboard.overdueList")} className="mt-1 list-disc pl-5">
              {dashboard.overdue_schedules.map((fire) => (
                <li key={fire.schedule_id}>
                  <NodeLink type={fire.target_type} id={fire.target_id} className="font-medium underline">
                    {fire.target_name}
                  </NodeLink>{" "}
                  <span>{t("dashboard.dueSince", { when: formatDate(fire.at) ?? "" })}</span>
                </li>
              ))}
            </ul>
            <Link to="/schedules" className="mt-1 inline-block underline">
              {t("dashboard.openSchedules")}
            </Link>
          </AlertDescription>
        </Alert>
      ) : null}
      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>{t("dashboard.failing")}</CardTitle>
            <CardDescription>{t("dashboard.failingHint")}</CardDescription>
          </CardHeader>
          <CardContent>
            {dashboard.failing_nodes.length === 0 ? (
              <EmptyState>{t("dashboard.noFailing")}</EmptyState>
            ) : (
              <ul aria-label={t("dashboard.failing")} className="flex flex-col divide-y">
                {dashboard.failing_nodes.map((failing) => (
                  <li key={failing.key} className="flex flex-col gap-1 py-2 sm:flex-row sm:items-center sm:justify-between">
                    <span className="flex min-w-0 flex-col">
                      <span className="flex items-center gap-2">
                        <NodeTypeIcon type={failing.type} />
                        <NodeLink type={failing.type} id={failing.id} className="font-medium hover:underline">
                          {failing.name}
                        </NodeLink>
                      </span>
                      {failing.last_run.error ? (
                        <span className="line-clamp-1 text-xs text-destructive" title={failing.last_run.error}>
                          {failing.last_run.error}
                        </span>
                      ) : null}
                    </span>
                    <Link to="/runs/$runId" params={{ runId: failing.last_run.id }} className="flex items-center gap-2 text-sm hover:underline">
                      <RunStatusBadge status={failing.last_run.status} />
                      <span className="text-xs text-muted-foreground">{formatDate(failing.last_run.created_at)}</span>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>{t("dashboard.nextFires")}</CardTitle>
            <CardDescription>{t("dashboard.nextFiresHint")}</CardDescription>
          </CardHeader>
          <CardContent>
            {dashboard.next_fires.length === 0 ? (
              <EmptyState>{t("dashboard.noNextFires")}</EmptyState>
            ) : (
              <ul aria-label={t("dashboard.nextFires")} className="flex flex-col divide-y">
                {dashboard.next_fires.map((fire) => (
                  <li key={`${String(fire.schedule_id)}-${fire.at}`} className="flex flex-col gap-1 py-2 sm:flex-row sm:items-center sm:justify-between">
                    <span className="flex items-center gap-2">
                      <NodeTypeIcon type={fire.target_type} />
                      <NodeLink type={fire.target_type} id={fire.target_id} className="font-medium hover:underline">
                        {fire.target_name}
                      </NodeLink>
                    </span>
                    <time dateTime={fire.at} className="text-sm text-muted-foreground tabular-nums">
                      {fire.timezone ? formatInZone(fire.at, fire.timezone, i18n.language) : formatDate(fire.at)}
                    </time>
                  </li>
                ))}
              </ul>
            )}
          </CardContent>
        </Card>
      </div>
    </>
  );
}
