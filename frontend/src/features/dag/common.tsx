import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { FileCodeIcon, ListChecksIcon, WorkflowIcon, type LucideIcon } from "lucide-react";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { jobsQuery } from "@/features/jobs/api";
import { pipelinesQuery } from "@/features/pipelines/api";
import { transformationsQuery } from "@/features/transformations/api";
import { nodeKey, type NodeType } from "./api";

export const nodeTypeIcons: Record<NodeType, LucideIcon> = {
  pipeline: WorkflowIcon,
  transformation: FileCodeIcon,
  job: ListChecksIcon,
};

/** A link to a node's own page (pipeline, transformation or job). */
export function NodeLink({ type, id, children, className }: { type: NodeType; id: number; children: ReactNode; className?: string }) {
  const cls = className ?? "hover:underline";
  switch (type) {
    case "pipeline":
      return (
        <Link to="/pipelines/$pipelineId" params={{ pipelineId: id }} className={cls}>
          {children}
        </Link>
      );
    case "transformation":
      return (
        <Link to="/transformations/$transformationId" params={{ transformationId: id }} className={cls}>
          {children}
        </Link>
      );
    case "job":
      return (
        <Link to="/jobs/$jobId" params={{ jobId: id }} className={cls}>
          {children}
        </Link>
      );
  }
}

export function NodeTypeIcon({ type, className }: { type: NodeType; className?: string }) {
  const Icon = nodeTypeIcons[type];
  return <Icon aria-hidden="true" className={className ?? "size-4 shrink-0"} />;
}

/** The org's pipelines, transformations and jobs as option groups whose values are node keys. */
export function NodeOptions() {
  const { t } = useTranslation();
  const pipelines = useQuery(pipelinesQuery);
  const transformations = useQuery(transformationsQuery);
  const jobs = useQuery(jobsQuery);
  return (
    <>
      <NodeGroup label={t("nav.pipelines")} type="pipeline" items={pipelines.data ?? []} />
      <NodeGroup label={t("nav.transformations")} type="transformation" items={transformations.data ?? []} />
      <NodeGroup label={t("nav.jobs")} type="job" items={jobs.data ?? []} />
    </>
  );
}

function NodeGroup({ label, type, items }: { label: string; type: NodeType; items: { id: number; name: string }[] }) {
  if (items.length === 0) return null;
  return (
    <optgroup label={label}>
      {items.map((item) => (
        <option key={item.id} value={nodeKey({ type, id: item.id })}>
          {item.name}
        </option>
      ))}
    </optgroup>
  );
}
