import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import { ExternalLinkIcon, LinkIcon, NetworkIcon, PlayIcon, SquareIcon, XIcon } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "@/api/client";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Input, NativeSelect } from "@/components/ui/input";
import { useConfirmDelete } from "@/components/use-confirm-delete";
import { useHasRole } from "@/features/auth/hooks";
import { runKeys, runQuery } from "@/features/runs/api";
import { RunStatusBadge } from "@/features/runs/common";
import { scheduleKeys } from "@/features/schedules/api";
import { SchedulesList } from "@/features/schedules/SchedulesPage";
import { useFormatDateTime } from "@/lib/datetime";
import { cn } from "@/lib/utils";
import {
  cancelDagRun,
  createDependency,
  dagKeys,
  dagQuery,
  dagRunQuery,
  deleteDependency,
  neighboursOf,
  parseNodeKey,
  triggerNode,
  type CheckTimeframe,
  type Dag,
  type DagEdge,
  type DagNode,
  type DagRun,
} from "./api";
import { NodeLink, NodeTypeIcon } from "./common";
import { DagGraph } from "./DagGraph";
import { looks, swatchClasses, type NodeLook } from "./looks";

export function DagPage() {
  const { t } = useTranslation();
  const search = useSearch({ from: "/app/authed/dag" });
  const dag = useQuery(dagQuery);
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={t("nav.dag")} description={t("sections.dag.description")} />
      {search.dag_run !== undefined ? <DagRunBanner id={search.dag_run} /> : null}
      {dag.isPending ? <Loading /> : null}
      {dag.isError ? <ErrorAlert error={dag.error} title={t("dag.loadFailed")} /> : null}
      {dag.isSuccess && dag.data.nodes.length === 0 ? <EmptyState>{t("dag.empty")}</EmptyState> : null}
      {dag.isSuccess && dag.data.nodes.length > 0 ? <DagView dag={dag.data} dagRunId={search.dag_run} /> : null}
    </div>
  );
}

function DagRunBanner({ id }: { id: number }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const canEdit = useHasRole("editor");
  const dagRun = useQuery(dagRunQuery(id));
  const previous = useRef<DagRun["status"] | undefined>(undefined);
  const status = dagRun.data?.status;
  // When the cascade is seen ended (also when it ended before the first look), the graph's last
  // runs have changed: refetch it once.
  useEffect(() => {
    if (status !== undefined && status !== "running" && previous.current !== status) {
      void queryClient.invalidateQueries({ queryKey: dagKeys.graph() });
      void queryClient.invalidateQueries({ queryKey: runKeys.lists() });
    }
    previous.current = status;
  }, [status, queryClient]);
  const cancel = useConfirmDelete({
    remove: (run: DagRun) => cancelDagRun(run.id),
    onDeleted: () => queryClient.invalidateQueries({ queryKey: dagKeys.run(id) }),
  });
  if (dagRun.isPending) return <Loading />;
  if (dagRun.isError) return <ErrorAlert error={dagRun.error} title={t("dag.run.loadFailed", { id })} />;
  const run = dagRun.data;
  const done = run.nodes.filter((n) => n.status !== "pending" && n.status !== "queued" && n.status !== "running").length;
  return (
    <Alert role="status" aria-label={t("dag.run.label")} data-dag-run-status={run.status}>
      <NetworkIcon aria-hidden="true" />
      <AlertTitle>{t("dag.run.title", { id: run.id, status: t(`dag.run.status.${run.status}`) })}</AlertTitle>
      <AlertDescription>
        <p>{t("dag.run.progress", { done, total: run.nodes.length })}</p>
        <span className="mt-1 flex flex-wrap items-center gap-3">
          <Link to="/runs" search={{ dag_run_id: run.id }} className="font-medium text-primary hover:underline">
            {t("dag.run.runs")}
          </Link>
          {canEdit && run.status === "running" ? (
            <Button
              size="sm"
              variant="outline"
              onClick={() => {
                cancel.ask(run);
              }}
            >
              <SquareIcon aria-hidden="true" />
              {t("dag.run.cancel")}
            </Button>
          ) : null}
          <Button
            size="sm"
            variant="ghost"
            onClick={() => {
              void navigate({ to: "/dag", search: {} });
            }}
          >
            <XIcon aria-hidden="true" />
            {t("dag.run.stop")}
          </Button>
        </span>
      </AlertDescription>
      <ConfirmDialog
        {...cancel.dialog}
        title={t("dag.run.cancelTitle", { id: run.id })}
        description={t("dag.run.cancelBody")}
        confirmLabel={t("dag.run.cancel")}
      />
    </Alert>
  );
}

/** The message of a refused dependency: the cycle it would close, by node names, or the problem. */
function useConnectError() {
  const { t } = useTranslation();
  return (error: unknown, dag: Dag): string | undefined => {
    if (!(error instanceof ApiError)) return undefined;
    const cycle = error.problem?.cycle;
    if (error.status === 409 && cycle && cycle.length > 0) {
      const names = new Map(dag.nodes.map((n) => [n.key, n.name]));
      return t("dag.cycle", { path: cycle.map((key) => names.get(key) ?? key).join(" → ") });
    }
    return undefined;
  };
}

function DagView({ dag, dagRunId }: { dag: Dag; dagRunId: number | undefined }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const canEdit = useHasRole("editor");
  const [selected, setSelected] = useState<string | null>(null);
  const names = new Map(dag.nodes.map((n) => [n.key, n.name]));
  const dagRun = useQuery({ ...dagRunQuery(dagRunId ?? 0), enabled: dagRunId !== undefined });
  const inRun = new Map((dagRunId !== undefined ? (dagRun.data?.nodes ?? []) : []).map((n) => [n.key, n.status]));
  const lookOf = (node: DagNode): NodeLook => {
    if (dagRunId !== undefined) return inRun.get(node.key) ?? "never";
    return node.last_run?.status ?? "never";
  };
  const describeConnect = useConnectError();

  const connect = useMutation({
    mutationFn: ({ from, to, timeframe }: { from: string; to: string; timeframe?: CheckTimeframe }) => {
      const upstream = parseNodeKey(from);
      const downstream = parseNodeKey(to);
      if (!upstream || !downstream) throw new Error("bad node");
      return createDependency(upstream, downstream, timeframe);
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: dagKeys.graph() }),
  });
  const disconnect = useConfirmDelete({
    remove: (edge: DagEdge) => deleteDependency(edge.id ?? 0),
    onDeleted: () => queryClient.invalidateQueries({ queryKey: dagKeys.graph() }),
  });

  const selectedNode = dag.nodes.find((n) => n.key === selected) ?? null;
  const cycle = describeConnect(connect.error, dag);

  return (
    <div className="flex flex-col gap-4">
      {connect.isError ? (
        cycle ? (
          <Alert variant="destructive" role="alert">
            <AlertTitle>{t("dag.connectFailed")}</AlertTitle>
            <AlertDescription>
              <p>{cycle}</p>
            </AlertDescription>
          </Alert>
        ) : (
          <ErrorAlert error={connect.error} title={t("dag.connectFailed")} />
        )
      ) : null}
      <Legend />
      <div className="flex flex-col gap-4 lg:flex-row">
        <div className="min-w-0 flex-1 overflow-hidden rounded-lg border">
          <DagGraph
            dag={dag}
            lookOf={lookOf}
            dimmed={(node) => dagRunId !== undefined && !inRun.has(node.key)}
            selected={selected}
            canEdit={canEdit}
            onSelect={(key) => {
              setSelected(selected === key ? null : key);
            }}
            onConnect={(from, to) => {
              connect.mutate({ from, to });
            }}
            onRemove={disconnect.ask}
          />
        </div>
        {selectedNode ? (
          <NodePanel
            dag={dag}
            node={selectedNode}
            onSelect={setSelected}
            onConnect={(from, to, timeframe) => {
              connect.mutate({ from, to, timeframe });
            }}
            connecting={connect.isPending}
          />
        ) : null}
      </div>
      {canEdit ? <p className="text-xs text-muted-foreground">{t("dag.help")}</p> : null}
      <ConfirmDialog
        {...disconnect.dialog}
        title={t("dag.removeTitle", {
          from: names.get(disconnect.target?.upstream ?? "") ?? "",
          to: names.get(disconnect.target?.downstream ?? "") ?? "",
        })}
        description={t("dag.removeBody")}
        confirmLabel={t("dag.remove")}
      />
    </div>
  );
}

function Legend() {
  const { t } = useTranslation();
  return (
    <ul aria-label={t("dag.legend")} className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-muted-foreground">
      {looks.map((look) => (
        <li key={look} className="flex items-center gap-1.5">
          <span aria-hidden="true" className={cn("inline-block size-3 rounded border-2", swatchClasses[look])} />
          {t(`dag.looks.${look}`)}
        </li>
      ))}
      <li className="flex items-center gap-1.5">
        <svg width="24" height="6" aria-hidden="true">
          <line x1="0" y1="3" x2="24" y2="3" className="stroke-foreground/70" strokeWidth="2" />
        </svg>
        {t("dag.declared")}
      </li>
      <li className="flex items-center gap-1.5">
        <svg width="24" height="6" aria-hidden="true">
          <line x1="0" y1="3" x2="24" y2="3" className="stroke-muted-foreground/50" strokeWidth="1.5" strokeDasharray="4 3" />
        </svg>
        {t("dag.inferredShort")}
      </li>
    </ul>
  );
}

function NodePanel({
  dag,
  node,
  onSelect,
  onConnect,
  connecting,
}: {
  dag: Dag;
  node: DagNode;
  onSelect: (key: string | null) => void;
  onConnect: (from: string, to: string, timeframe?: CheckTimeframe) => void;
  connecting: boolean;
}) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const canEdit = useHasRole("editor");
  const formatDate = useFormatDateTime();
  const [addTo, setAddTo] = useState("");
  const [withTimeframe, setWithTimeframe] = useState(false);
  const [timeframeValue, setTimeframeValue] = useState("24");
  const [timeframeUnit, setTimeframeUnit] = useState<CheckTimeframe["unit"]>("hours");
  const timeframeOK = /^[1-9]\d{0,4}$/.test(timeframeValue.trim());
  const { upstream, downstream } = neighboursOf(dag, node.key);
  const ref = parseNodeKey(node.key) ?? { type: node.type, id: node.id };
  const run = useMutation({
    mutationFn: (withDownstream: boolean) => triggerNode(ref, withDownstream),
    onSuccess: async (created) => {
      queryClient.setQueryData(runQuery(created.id).queryKey, created);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: runKeys.lists() }),
        queryClient.invalidateQueries({ queryKey: scheduleKeys.all }),
      ]);
      if (created.dag_run_id) void navigate({ to: "/dag", search: { dag_run: created.dag_run_id } });
      else void navigate({ to: "/runs/$runId", params: { runId: created.id } });
    },
  });
  const activeRunId = run.error instanceof ApiError && run.error.status === 409 ? run.error.problem?.active_run_id : undefined;
  const candidates = dag.nodes.filter((n) => n.key !== node.key && !downstream.some((d) => d.node.key === n.key));
  return (
    <aside aria-label={t("dag.panel.label", { name: node.name })} className="flex w-full flex-col gap-4 rounded-lg border p-4 lg:w-96">
      <div className="flex items-start justify-between gap-2">
        <div className="flex min-w-0 flex-col">
          <h2 className="flex items-center gap-2 font-semibold">
            <NodeTypeIcon type={node.type} />
            <span className="truncate">{node.name}</span>
          </h2>
          <p className="text-xs text-muted-foreground">{t(`runs.targetType.${node.type}`)}</p>
        </div>
        <Button
          variant="ghost"
          size="sm"
          aria-label={t("common.close")}
          onClick={() => {
            onSelect(null);
          }}
        >
          <XIcon aria-hidden="true" />
        </Button>
      </div>
      <div className="flex flex-wrap gap-2">
        {canEdit ? (
          <>
            <Button
              size="sm"
              disabled={run.isPending}
              onClick={() => {
                run.mutate(false);
              }}
            >
              <PlayIcon aria-hidden="true" />
              {t("dag.panel.run")}
            </Button>
            <Button
              size="sm"
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
        ) : null}
        <Button asChild size="sm" variant="outline">
          <NodeLink type={node.type} id={node.id} className="">
            <ExternalLinkIcon aria-hidden="true" />
            {t("dag.panel.open")}
          </NodeLink>
        </Button>
      </div>
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
          <ErrorAlert error={run.error} title={t("dag.panel.runFailed")} />
        )
      ) : null}
      <div className="text-sm">
        <h3 className="text-muted-foreground">{t("dag.panel.lastRun")}</h3>
        {node.last_run ? (
          <Link to="/runs/$runId" params={{ runId: node.last_run.id }} className="flex items-center gap-2 hover:underline">
            <RunStatusBadge status={node.last_run.status} />
            {t("runs.runNumber", { id: node.last_run.id })}
            <span className="text-xs text-muted-foreground">{formatDate(node.last_run.finished_at ?? node.last_run.started_at)}</span>
          </Link>
        ) : (
          <p>{t("dag.panel.neverRan")}</p>
        )}
      </div>
      <NeighbourButtons title={t("orchestration.upstream")} items={upstream} onSelect={onSelect} />
      <NeighbourButtons title={t("orchestration.downstream")} items={downstream} onSelect={onSelect} />
      {canEdit && candidates.length > 0 ? (
        <form
          className="flex flex-col gap-2"
          aria-label={t("dag.panel.addDownstream")}
          onSubmit={(event) => {
            event.preventDefault();
            if (!addTo || (withTimeframe && !timeframeOK)) return;
            onConnect(node.key, addTo, withTimeframe ? { value: Number(timeframeValue.trim()), unit: timeframeUnit } : undefined);
            setAddTo("");
          }}
        >
          <label className="text-sm text-muted-foreground" htmlFor="dag-add-downstream">
            {t("dag.panel.addDownstream")}
          </label>
          <div className="flex gap-2">
            <NativeSelect
              id="dag-add-downstream"
              value={addTo}
              onChange={(event) => {
                setAddTo(event.target.value);
              }}
            >
              <option value="">{t("dag.panel.choose")}</option>
              {candidates.map((n) => (
                <option key={n.key} value={n.key}>
                  {n.name}
                </option>
              ))}
            </NativeSelect>
            <Button type="submit" size="sm" variant="outline" disabled={!addTo || connecting || (withTimeframe && !timeframeOK)}>
              <LinkIcon aria-hidden="true" />
              {t("dag.panel.add")}
            </Button>
          </div>
          <label className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              checked={withTimeframe}
              onChange={(event) => {
                setWithTimeframe(event.target.checked);
              }}
            />
            {t("dag.panel.timeframe")}
          </label>
          {withTimeframe ? (
            <div className="flex gap-2">
              <Input
                aria-label={t("dag.panel.timeframeValue")}
                aria-invalid={!timeframeOK}
                inputMode="numeric"
                className="w-24"
                value={timeframeValue}
                onChange={(event) => {
                  setTimeframeValue(event.target.value);
                }}
              />
              <NativeSelect
                aria-label={t("dag.panel.timeframeUnit")}
                value={timeframeUnit}
                onChange={(event) => {
                  setTimeframeUnit(event.target.value as CheckTimeframe["unit"]);
                }}
              >
                {(["minutes", "hours", "days"] as const).map((unit) => (
                  <option key={unit} value={unit}>
                    {t(`dag.panel.units.${unit}`)}
                  </option>
                ))}
              </NativeSelect>
            </div>
          ) : null}
          {withTimeframe ? <p className="text-xs text-muted-foreground">{t("dag.panel.timeframeHint")}</p> : null}
        </form>
      ) : null}
      <div className="flex flex-col gap-2">
        <h3 className="text-sm text-muted-foreground">{t("orchestration.schedules")}</h3>
        <SchedulesList filter={{ target_type: node.type, target_id: node.id }} showTarget={false} target={ref} />
      </div>
    </aside>
  );
}

function NeighbourButtons({ title, items, onSelect }: { title: string; items: { node: DagNode; edge: DagEdge }[]; onSelect: (key: string) => void }) {
  const { t } = useTranslation();
  return (
    <div className="text-sm">
      <h3 className="text-muted-foreground">{title}</h3>
      {items.length === 0 ? <p>—</p> : null}
      <ul aria-label={title}>
        {items.map(({ node, edge }) => (
          <li key={node.key} className="flex items-center gap-2">
            <NodeTypeIcon type={node.type} />
            <button
              type="button"
              className="truncate hover:underline"
              onClick={() => {
                onSelect(node.key);
              }}
            >
              {node.name}
            </button>
            {edge.inferred ? <span className="text-xs text-muted-foreground">{t("dag.inferredShort")}</span> : null}
            {edge.check_timeframe ? (
              <span className="text-xs text-muted-foreground">
                {t("dag.panel.within", { value: edge.check_timeframe.value, unit: t(`dag.panel.units.${edge.check_timeframe.unit}`) })}
              </span>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
