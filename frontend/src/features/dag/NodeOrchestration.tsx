import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { NetworkIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { ErrorAlert } from "@/components/form";
import { Loading } from "@/components/loading";
import { RunStatusBadge } from "@/features/runs/common";
import { SchedulesList } from "@/features/schedules/SchedulesPage";
import { dagQuery, neighboursOf, nodeKey, type DagEdge, type DagNode, type NodeRef } from "./api";
import { NodeLink, NodeTypeIcon } from "./common";

/** A node page's orchestration: its schedules (with a Schedule button for this node) and its neighbours in the DAG. */
export function NodeOrchestration({ node }: { node: NodeRef }) {
  const { t } = useTranslation();
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <section aria-labelledby="node-schedules" className="flex flex-col gap-3 rounded-lg border p-4">
        <h2 id="node-schedules" className="font-semibold">
          {t("orchestration.schedules")}
        </h2>
        <SchedulesList filter={{ target_type: node.type, target_id: node.id }} showTarget={false} target={node} />
      </section>
      <Neighbours node={node} />
    </div>
  );
}

function Neighbours({ node }: { node: NodeRef }) {
  const { t } = useTranslation();
  const dag = useQuery(dagQuery);
  const key = nodeKey(node);
  let body;
  if (dag.isPending) body = <Loading />;
  else if (dag.isError) body = <ErrorAlert error={dag.error} title={t("dag.loadFailed")} />;
  else {
    const { upstream, downstream } = neighboursOf(dag.data, key);
    body = (
      <div className="grid gap-4 sm:grid-cols-2">
        <NeighbourList title={t("orchestration.upstream")} items={upstream} />
        <NeighbourList title={t("orchestration.downstream")} items={downstream} />
      </div>
    );
  }
  return (
    <section aria-labelledby="node-dag" className="flex flex-col gap-3 rounded-lg border p-4">
      <div className="flex items-center justify-between gap-2">
        <h2 id="node-dag" className="font-semibold">
          {t("orchestration.dependencies")}
        </h2>
        <Link to="/dag" className="flex items-center gap-1 text-sm text-primary hover:underline">
          <NetworkIcon aria-hidden="true" className="size-4" />
          {t("orchestration.openDag")}
        </Link>
      </div>
      {body}
    </section>
  );
}

function NeighbourList({ title, items }: { title: string; items: { node: DagNode; edge: DagEdge }[] }) {
  const { t } = useTranslation();
  return (
    <div>
      <h3 className="text-sm text-muted-foreground">{title}</h3>
      {items.length === 0 ? <p className="text-sm">—</p> : null}
      <ul aria-label={title} className="flex flex-col gap-1">
        {items.map(({ node, edge }) => (
          <li key={node.key} className="flex flex-wrap items-center gap-2 text-sm">
            <NodeTypeIcon type={node.type} />
            <NodeLink type={node.type} id={node.id}>
              {node.name}
            </NodeLink>
            {edge.inferred ? <span className="text-xs text-muted-foreground">{t("dag.inferred")}</span> : null}
            {node.last_run ? <RunStatusBadge status={node.last_run.status} /> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
