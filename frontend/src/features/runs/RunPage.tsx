import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { BanIcon, CheckIcon, RotateCcwIcon, TriangleAlertIcon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ErrorAlert } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useHasRole } from "@/features/auth/hooks";
import { pipelineQuery } from "@/features/pipelines/api";
import { useFormatDateTime } from "@/lib/datetime";
import { cn } from "@/lib/utils";
import { cancelRun, isActive, retryRun, runKeys, runQuery, type Run } from "./api";
import { runDuration, RunStatusBadge, useFormatDuration, useFormatNumber } from "./common";
import { LogViewer } from "./LogViewer";
import { NodesTable } from "./NodesTable";

export function RunPage() {
  const { t } = useTranslation();
  const { runId } = useParams({ strict: false });
  const id = runId ?? 0;
  const run = useQuery({
    ...runQuery(id),
    // The stream's status events update the run; polling covers a stream that is unavailable.
    refetchInterval: (query) => (query.state.data && isActive(query.state.data.status) ? 3_000 : false),
  });
  if (run.isPending) return <Loading />;
  if (run.isError) {
    return (
      <div className="flex flex-col gap-6">
        <PageHeader title={t("runs.runNumber", { id })} description={t("sections.runs.description")} eyebrow={t("nav.runs")} />
        <ErrorAlert error={run.error} title={t("runs.loadOneFailed")} />
      </div>
    );
  }
  return <RunView key={run.data.id} run={run.data} />;
}

export const phases = ["queued", "connecting", "loading", "publishing", "done"] as const;
/** A transformation's or job's run connects to the destination, then builds its nodes. */
export const transformPhases = ["queued", "connecting", "transforming", "done"] as const;

/** The run's phases, the current one marked; a run that ended badly stops at the phase it was in. */
function Phases({ run }: { run: Run }) {
  const { t } = useTranslation();
  const phase = run.stats.phase ?? (run.status === "queued" ? "queued" : run.status === "success" ? "done" : undefined);
  const steps: readonly (typeof phases[number] | typeof transformPhases[number])[] = run.target_type === "pipeline" ? phases : transformPhases;
  const reached = phase === undefined ? -1 : (steps as readonly string[]).indexOf(phase);
  const failed = run.status === "failed" || run.status === "cancelled";
  return (
    <ol aria-label={t("runs.phases.label")} className="flex flex-wrap items-center gap-2 text-sm">
      {steps.map((name, index) => {
        const done = index < reached || (index === reached && run.status === "success");
        const current = index === reached && !done;
        return (
          <li
            key={name}
            aria-current={current ? "step" : undefined}
            data-state={done ? "done" : current ? (failed ? "failed" : "current") : "pending"}
            className={cn(
              "flex items-center gap-1 rounded-full border px-2.5 py-0.5",
              done && "border-success/50 text-success",
              current && !failed && "border-primary font-medium text-primary",
              current && failed && "border-destructive font-medium text-destructive",
              !done && !current && "text-muted-foreground",
            )}
          >
            {done ? <CheckIcon aria-hidden="true" className="size-3.5" /> : null}
            {current && failed ? <TriangleAlertIcon aria-hidden="true" className="size-3.5" /> : null}
            {t(`runs.phases.${name}`)}
          </li>
        );
      })}
    </ol>
  );
}

function RunView({ run }: { run: Run }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const canEdit = useHasRole("editor");
  const formatDate = useFormatDateTime();
  const formatDuration = useFormatDuration();
  const formatNumber = useFormatNumber();
  const [confirmCancel, setConfirmCancel] = useState(false);
  const pipeline = useQuery({ ...pipelineQuery(run.target_id), enabled: run.target_type === "pipeline" });
  const targetName = run.target_name ?? pipeline.data?.name ?? t("runs.targetNumber", { type: t(`runs.targetType.${run.target_type}`), id: run.target_id });
  const { queryKey } = runQuery(run.id);

  const cancel = useMutation({
    mutationFn: () => cancelRun(run.id),
    onSuccess: async (updated) => {
      setConfirmCancel(false);
      queryClient.setQueryData(queryKey, updated);
      await queryClient.invalidateQueries({ queryKey: runKeys.lists() });
    },
  });
  const retry = useMutation({
    mutationFn: () => retryRun(run.id),
    onSuccess: async (created) => {
      queryClient.setQueryData(runQuery(created.id).queryKey, created);
      await queryClient.invalidateQueries({ queryKey: runKeys.lists() });
      void navigate({ to: "/runs/$runId", params: { runId: created.id } });
    },
  });
  const stats = run.stats.tables ?? [];
  const active = isActive(run.status);

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={t("runs.runNumber", { id: run.id })}
        description={t("runs.runOf", { target: targetName })}
        eyebrow={t("nav.runs")}
        actions={
          canEdit ? (
            <>
              {active ? (
                <Button
                  variant="outline"
                  onClick={() => {
                    cancel.reset();
                    setConfirmCancel(true);
                  }}
                >
                  <BanIcon aria-hidden="true" />
                  {t("runs.cancel")}
                </Button>
              ) : null}
              {run.status === "failed" || run.status === "cancelled" ? (
                <Button
                  disabled={retry.isPending}
                  onClick={() => {
                    retry.mutate();
                  }}
                >
                  <RotateCcwIcon aria-hidden="true" className={retry.isPending ? "animate-spin" : undefined} />
                  {retry.isPending ? t("runs.retrying") : t("runs.retry")}
                </Button>
              ) : null}
            </>
          ) : null
        }
      />
      {retry.isError ? <ErrorAlert error={retry.error} title={t("runs.retryFailed")} /> : null}
      <div className="flex flex-col gap-4 rounded-lg border p-4">
        <div className="flex flex-wrap items-center gap-3">
          <RunStatusBadge status={run.status} />
          <Phases run={run} />
        </div>
        {run.status === "queued" && run.stats.waiting ? (
          <Alert role="status">
            <AlertTitle>
              {t("runs.waitingFor", {
                upstreams: run.stats.waiting.upstreams.join(", "),
                since: formatDate(run.stats.waiting.since),
              })}
            </AlertTitle>
          </Alert>
        ) : null}
        {run.error ? (
          <Alert variant="destructive" role="alert">
            <TriangleAlertIcon aria-hidden="true" />
            <AlertTitle className="line-clamp-2 break-words" title={run.error}>
              {run.error}
            </AlertTitle>
          </Alert>
        ) : null}
        <dl className="grid gap-4 text-sm sm:grid-cols-3 lg:grid-cols-6">
          <div>
            <dt className="text-muted-foreground">{t("runs.fields.target")}</dt>
            <dd>
              {run.target_type === "pipeline" ? (
                <Link to="/pipelines/$pipelineId" params={{ pipelineId: run.target_id }} className="font-medium hover:underline">
                  {targetName}
                </Link>
              ) : run.target_type === "transformation" ? (
                <Link to="/transformations/$transformationId" params={{ transformationId: run.target_id }} className="font-medium hover:underline">
                  {targetName}
                </Link>
              ) : (
                <Link to="/jobs/$jobId" params={{ jobId: run.target_id }} className="font-medium hover:underline">
                  {targetName}
                </Link>
              )}
            </dd>
          </div>
          <div>
            <dt className="text-muted-foreground">{t("runs.fields.trigger")}</dt>
            <dd>
              {t(`runs.trigger.${run.trigger}`)} · {t("runs.attempt", { n: run.attempt })}
              {run.retry_of ? (
                <>
                  {" · "}
                  <Link to="/runs/$runId" params={{ runId: run.retry_of }} className="hover:underline">
                    {t("runs.retryOf", { id: run.retry_of })}
                  </Link>
                </>
              ) : null}
              {run.dag_run_id ? (
                <>
                  {" · "}
                  <Link to="/dag" search={{ dag_run: run.dag_run_id }} className="hover:underline">
                    {t("runs.dagRun.partOf", { id: run.dag_run_id })}
                  </Link>
                </>
              ) : null}
            </dd>
          </div>
          <div>
            <dt className="text-muted-foreground">{t("runs.fields.started")}</dt>
            <dd>{formatDate(run.started_at) ?? "—"}</dd>
          </div>
          <div>
            <dt className="text-muted-foreground">{t("runs.fields.finished")}</dt>
            <dd>{formatDate(run.finished_at) ?? "—"}</dd>
          </div>
          <div>
            <dt className="text-muted-foreground">{t("runs.fields.duration")}</dt>
            <dd>{formatDuration(runDuration(run))}</dd>
          </div>
          <div>
            <dt className="text-muted-foreground">{t("runs.fields.rows")}</dt>
            <dd className="tabular-nums" data-testid="run-rows">
              {formatNumber(run.rows_loaded)}
            </dd>
          </div>
        </dl>
      </div>
      {run.target_type === "pipeline" ? (
        <>
          <section aria-labelledby="run-tables" className="flex flex-col gap-3">
            <h2 id="run-tables" className="text-lg font-semibold">
              {t("runs.tables.title")}
            </h2>
            {stats.length === 0 ? (
              <p className="text-sm text-muted-foreground">{active ? t("runs.tables.pending") : t("runs.tables.none")}</p>
            ) : (
              <Table aria-label={t("runs.tables.title")}>
                <TableHeader>
                  <TableRow>
                    <TableHead>{t("runs.tables.name")}</TableHead>
                    <TableHead className="text-right">{t("runs.tables.read")}</TableHead>
                    <TableHead className="text-right">{t("runs.tables.written")}</TableHead>
                    <TableHead className="text-right">{t("runs.tables.rejected")}</TableHead>
                    <TableHead className="text-right">{t("runs.tables.bytes")}</TableHead>
                    <TableHead className="text-right">{t("runs.tables.seconds")}</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {stats.map((table) => (
                    <TableRow key={table.name}>
                      <TableCell className="font-mono">{table.name}</TableCell>
                      <TableCell className="text-right tabular-nums">{formatNumber(table.rows_read)}</TableCell>
                      <TableCell className="text-right tabular-nums">{formatNumber(table.rows_written)}</TableCell>
                      <TableCell className={cn("text-right tabular-nums", table.rows_rejected > 0 && "text-destructive")}>
                        {formatNumber(table.rows_rejected)}
                      </TableCell>
                      <TableCell className="text-right tabular-nums">{formatNumber(table.bytes)}</TableCell>
                      <TableCell className="text-right tabular-nums">{formatDuration(table.seconds * 1000)}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            )}
          </section>
          <LogViewer runId={run.id} />
        </>
      ) : (
        <div className="grid gap-6 xl:grid-cols-2">
          <section aria-labelledby="run-nodes" className="flex min-w-0 flex-col gap-3">
            <h2 id="run-nodes" className="text-lg font-semibold">
              {t("runs.nodes.title")}
            </h2>
            <NodesTable nodes={run.stats.nodes ?? []} active={active} />
          </section>
          <div className="min-w-0">
            <LogViewer runId={run.id} />
          </div>
        </div>
      )}
      <ConfirmDialog
        open={confirmCancel}
        onOpenChange={setConfirmCancel}
        title={t("runs.cancelTitle", { id: run.id })}
        description={t("runs.cancelBody")}
        confirmLabel={cancel.isPending ? t("runs.cancelling") : t("runs.cancelConfirm")}
        pending={cancel.isPending}
        error={cancel.error}
        onConfirm={() => {
          cancel.mutate();
        }}
      />
    </div>
  );
}
