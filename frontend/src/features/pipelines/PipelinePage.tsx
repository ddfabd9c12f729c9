import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { NetworkIcon, PauseIcon, PencilIcon, PlayIcon, Trash2Icon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { ApiError } from "@/api/client";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { useConfirmDelete } from "@/components/use-confirm-delete";
import { useHasRole } from "@/features/auth/hooks";
import { NodeOrchestration } from "@/features/dag/NodeOrchestration";
import { isActive, runKeys, runQuery, runsQuery } from "@/features/runs/api";
import { RunsTable } from "@/features/runs/common";
import { useFormatDateTime } from "@/lib/datetime";
import { deletePipeline, pipelineKeys, pipelineQuery, triggerPipelineRun, updatePipeline, type Pipeline } from "./api";
import { PipelineStatusBadge, Route } from "./common";

export function PipelinePage() {
  const { t } = useTranslation();
  const { pipelineId } = useParams({ strict: false });
  const pipeline = useQuery(pipelineQuery(pipelineId ?? 0));
  if (pipeline.isPending) return <Loading />;
  if (pipeline.isError) {
    return (
      <div className="flex flex-col gap-6">
        <PageHeader title={t("nav.pipelines")} description={t("sections.pipelines.description")} />
        <ErrorAlert error={pipeline.error} title={t("pipelines.loadOneFailed")} />
      </div>
    );
  }
  return <PipelineView pipeline={pipeline.data} />;
}

function PipelineView({ pipeline }: { pipeline: Pipeline }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const canEdit = useHasRole("editor");
  const formatDate = useFormatDateTime();
  const runs = useInfiniteQuery({
    ...runsQuery({ target_type: "pipeline", target_id: pipeline.id }, 20),
    refetchInterval: (query) => (query.state.data?.pages.some((page) => page.items.some((run) => isActive(run.status))) ? 3_000 : false),
  });
  const items = runs.data?.pages.flatMap((page) => page.items) ?? [];

  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: pipelineKeys.all }),
      queryClient.invalidateQueries({ queryKey: runKeys.lists() }),
    ]);
  };
  const run = useMutation({
    mutationFn: (downstream: boolean) => triggerPipelineRun(pipeline.id, false, downstream),
    onSuccess: async (created) => {
      queryClient.setQueryData(runQuery(created.id).queryKey, created);
      await refresh();
      if (created.dag_run_id) void navigate({ to: "/dag", search: { dag_run: created.dag_run_id } });
      else void navigate({ to: "/runs/$runId", params: { runId: created.id } });
    },
  });
  const setStatus = useMutation({
    mutationFn: (status: Pipeline["status"]) => updatePipeline(pipeline.id, { status }),
    onSuccess: async (updated) => {
      queryClient.setQueryData(pipelineQuery(pipeline.id).queryKey, updated);
      await refresh();
    },
  });
  const remove = useConfirmDelete({
    remove: (target: Pipeline) => deletePipeline(target.id),
    onDeleted: async (deleted) => {
      queryClient.removeQueries({ queryKey: pipelineKeys.detail(deleted.id) });
      await refresh();
      void navigate({ to: "/pipelines" });
    },
  });
  const activeRunId = run.error instanceof ApiError && run.error.status === 409 ? run.error.problem?.active_run_id : undefined;

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={pipeline.name}
        description={pipeline.description || t("sections.pipelines.description")}
        eyebrow={t("nav.pipelines")}
        actions={
          canEdit ? (
            <>
              <Button
                disabled={run.isPending}
                onClick={() => {
                  run.mutate(false);
                }}
              >
                <PlayIcon aria-hidden="true" />
                {run.isPending ? t("pipelines.starting") : t("pipelines.run")}
              </Button>
              <Button
                variant="outline"
                disabled={run.isPending}
                title={t("orchestration.runWithDownstreamHint")}
                onClick={() => {
                  run.mutate(true);
                }}
              >
                <NetworkIcon aria-hidden="true" />
                {t("orchestration.runWithDownstream")}
              </Button>
            </>
          ) : null
        }
      />
      {run.isError ? (
        activeRunId !== undefined ? (
          <Alert role="alert">
            <AlertTitle>{t("pipelines.alreadyRunning")}</AlertTitle>
            <AlertDescription>
              <Link to="/runs/$runId" params={{ runId: activeRunId }} className="font-medium text-primary hover:underline">
                {t("pipelines.openActiveRun", { id: activeRunId })}
              </Link>
            </AlertDescription>
          </Alert>
        ) : (
          <ErrorAlert error={run.error} title={t("pipelines.runFailed")} />
        )
      ) : null}
      <div className="flex flex-col gap-3 rounded-lg border p-4 sm:flex-row sm:items-center sm:justify-between">
        <div className="flex flex-col gap-2">
          <span className="flex items-center gap-2">
            <PipelineStatusBadge status={pipeline.status} />
            <Route pipeline={pipeline} />
          </span>
          <span className="text-xs text-muted-foreground">
            {t("pipelines.updated", { when: formatDate(pipeline.updated_at) ?? "" })}
          </span>
        </div>
      </div>

      <NodeOrchestration node={{ type: "pipeline", id: pipeline.id }} />

      <section aria-labelledby="pipeline-runs" className="flex flex-col gap-3">
        <h2 id="pipeline-runs" className="text-lg font-semibold">
          {t("pipelines.runs")}
        </h2>
        {runs.isPending ? <Loading /> : null}
        {runs.isError ? <ErrorAlert error={runs.error} title={t("runs.loadFailed")} /> : null}
        {runs.isSuccess && items.length === 0 ? <EmptyState>{t("pipelines.noRuns")}</EmptyState> : null}
        {items.length > 0 ? <RunsTable runs={items} showTarget={false} label={t("pipelines.runs")} /> : null}
        {runs.hasNextPage ? (
          <div>
            <Button
              variant="outline"
              disabled={runs.isFetchingNextPage}
              onClick={() => {
                void runs.fetchNextPage();
              }}
            >
              {runs.isFetchingNextPage ? t("common.loading") : t("runs.loadMore")}
            </Button>
          </div>
        ) : null}
      </section>

      {canEdit ? (
        <section aria-labelledby="pipeline-settings" className="flex flex-col gap-3">
          <h2 id="pipeline-settings" className="text-lg font-semibold">
            {t("pipelines.settings")}
          </h2>
          <div className="flex flex-wrap gap-2">
            <Button asChild variant="outline">
              <Link to="/pipelines/$pipelineId/edit" params={{ pipelineId: pipeline.id }}>
                <PencilIcon aria-hidden="true" />
                {t("pipelines.edit")}
              </Link>
            </Button>
            {pipeline.status === "paused" ? (
              <Button
                variant="outline"
                disabled={setStatus.isPending}
                onClick={() => {
                  setStatus.mutate("active");
                }}
              >
                <PlayIcon aria-hidden="true" />
                {t("pipelines.activate")}
              </Button>
            ) : (
              <Button
                variant="outline"
                disabled={setStatus.isPending}
                onClick={() => {
                  setStatus.mutate("paused");
                }}
              >
                <PauseIcon aria-hidden="true" />
                {t("pipelines.pause")}
              </Button>
            )}
            <Button
              variant="outline"
              onClick={() => {
                remove.ask(pipeline);
              }}
            >
              <Trash2Icon aria-hidden="true" />
              {t("pipelines.delete")}
            </Button>
          </div>
          {setStatus.isError ? <ErrorAlert error={setStatus.error} title={t("pipelines.statusFailed")} /> : null}
        </section>
      ) : null}
      <ConfirmDialog
        {...remove.dialog}
        title={t("pipelines.deleteTitle", { name: pipeline.name })}
        description={t("pipelines.deleteBody")}
        confirmLabel={t("pipelines.delete")}
      />
    </div>
  );
}
