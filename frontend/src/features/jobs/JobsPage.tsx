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
import { RunStatusBadge } from "@/features/runs/common";
import { useFormatDateTime } from "@/lib/datetime";
import { jobsQuery } from "./api";

export function JobsPage() {
  const { t } = useTranslation();
  const canEdit = useHasRole("editor");
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={t("nav.jobs")}
        description={t("sections.jobs.description")}
        actions={
          canEdit ? (
            <Button asChild>
              <Link to="/jobs/new">
                <PlusIcon aria-hidden="true" />
                {t("jobs.new")}
              </Link>
            </Button>
          ) : null
        }
      />
      <JobsTable />
    </div>
  );
}

function JobsTable() {
  const { t } = useTranslation();
  const formatDate = useFormatDateTime();
  const jobs = useQuery({
    ...jobsQuery,
    refetchInterval: (query) => (query.state.data?.some((j) => j.last_run?.status === "queued" || j.last_run?.status === "running") ? 5_000 : false),
  });
  if (jobs.isPending) return <Loading />;
  if (jobs.isError) return <ErrorAlert error={jobs.error} title={t("jobs.loadFailed")} />;
  if (jobs.data.length === 0) return <EmptyState>{t("jobs.empty")}</EmptyState>;
  return (
    <Table aria-label={t("jobs.tableLabel")}>
      <TableHeader>
        <TableRow>
          <TableHead>{t("jobs.fields.name")}</TableHead>
          <TableHead>{t("jobs.fields.command")}</TableHead>
          <TableHead>{t("jobs.fields.select")}</TableHead>
          <TableHead>{t("jobs.lastRun")}</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {jobs.data.map((job) => (
          <TableRow key={job.id}>
            <TableCell className="font-medium">
              <Link to="/jobs/$jobId" params={{ jobId: job.id }} className="hover:underline">
                {job.name}
              </Link>
            </TableCell>
            <TableCell className="font-mono text-xs">
              {job.command}
              {job.full_refresh ? " --full-refresh" : ""}
            </TableCell>
            <TableCell className="font-mono text-xs">{job.select === "" ? t("jobs.everything") : job.select}</TableCell>
            <TableCell>
              {job.last_run ? (
                <Link to="/runs/$runId" params={{ runId: job.last_run.id }} className="flex items-center gap-2 hover:underline">
                  <RunStatusBadge status={job.last_run.status} />
                  <time dateTime={job.last_run.created_at} className="text-xs text-muted-foreground">
                    {formatDate(job.last_run.created_at)}
                  </time>
                </Link>
              ) : (
                <span className="text-sm text-muted-foreground">{t("jobs.neverRun")}</span>
              )}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
