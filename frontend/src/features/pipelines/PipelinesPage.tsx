import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { PlusIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useHasRole } from "@/features/auth/hooks";
import { runDuration, RunStatusBadge, useFormatDuration, useFormatNumber } from "@/features/runs/common";
import { useFormatDateTime } from "@/lib/datetime";
import { pipelinesQuery } from "./api";
import { PipelineStatusBadge, Route } from "./common";

export function PipelinesPage() {
  const { t } = useTranslation();
  const canEdit = useHasRole("editor");
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={t("nav.pipelines")}
        description={t("sections.pipelines.description")}
        actions={
          canEdit ? (
            <Button asChild>
              <Link to="/pipelines/new">
                <PlusIcon aria-hidden="true" />
                {t("pipelines.new")}
              </Link>
            </Button>
          ) : null
        }
      />
      <PipelinesTable />
    </div>
  );
}

function PipelinesTable() {
  const { t } = useTranslation();
  const pipelines = useQuery({
    ...pipelinesQuery,
    refetchInterval: (query) =>
      query.state.data?.some((p) => p.last_run?.status === "queued" || p.last_run?.status === "running") ? 5_000 : false,
  });
  const formatDate = useFormatDateTime();
  const formatDuration = useFormatDuration();
  const formatNumber = useFormatNumber();
  if (pipelines.isPending) return <Loading />;
  if (pipelines.isError) return <ErrorAlert error={pipelines.error} title={t("pipelines.loadFailed")} />;
  if (pipelines.data.length === 0) return <EmptyState>{t("pipelines.empty")}</EmptyState>;
  return (
    <Table aria-label={t("pipelines.tableLabel")}>
      <TableHeader>
        <TableRow>
          <TableHead>{t("pipelines.columns.name")}</TableHead>
          <TableHead>{t("pipelines.columns.status")}</TableHead>
          <TableHead>{t("pipelines.columns.route")}</TableHead>
          <TableHead>{t("pipelines.columns.lastRun")}</TableHead>
          <TableHead className="text-right">{t("pipelines.columns.rows")}</TableHead>
          <TableHead>{t("pipelines.columns.duration")}</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {pipelines.data.map((pipeline) => {
          const run = pipeline.last_run;
          return (
            <TableRow key={pipeline.id}>
              <TableCell className="font-medium">
                <Link to="/pipelines/$pipelineId" params={{ pipelineId: pipeline.id }} className="hover:underline">
                  {pipeline.name}
                </Link>
              </TableCell>
              <TableCell>
                <PipelineStatusBadge status={pipeline.status} />
              </TableCell>
              <TableCell>
                <Route pipeline={pipeline} />
              </TableCell>
              <TableCell>
                {run ? (
                  <Link to="/runs/$runId" params={{ runId: run.id }} className="flex flex-wrap items-center gap-2 hover:underline">
                    <RunStatusBadge status={run.status} />
                    <time dateTime={run.created_at} className="text-xs text-muted-foreground">
                      {formatDate(run.created_at)}
                    </time>
                  </Link>
                ) : (
                  <span className="text-sm text-muted-foreground">{t("pipelines.neverRun")}</span>
                )}
              </TableCell>
              <TableCell className="text-right tabular-nums">{run ? formatNumber(run.rows_loaded) : "—"}</TableCell>
              <TableCell className="whitespace-nowrap">{run ? formatDuration(runDuration(run)) : "—"}</TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
