import { Link } from "@tanstack/react-router";
import { FileCodeIcon, ListChecksIcon, WorkflowIcon, type LucideIcon } from "lucide-react";
import type { ReactNode } from "react";
import type { NodeType } from "./api";

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
