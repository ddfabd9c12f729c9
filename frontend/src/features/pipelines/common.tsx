import { useQuery } from "@tanstack/react-query";
import { ArrowRightIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Badge, type BadgeProps } from "@/components/ui/badge";
import { connectionsQuery } from "@/features/connections/api";
import { TypeIcon } from "@/features/connections/common";
import type { Pipeline, PipelineStatus } from "./api";

const statusVariant: Record<PipelineStatus, BadgeProps["variant"]> = {
  draft: "secondary",
  active: "success",
  paused: "outline",
  error: "destructive",
};

export function PipelineStatusBadge({ status }: { status: PipelineStatus }) {
  const { t } = useTranslation();
  return <Badge variant={statusVariant[status]}>{t(`pipelines.status.${status}`)}</Badge>;
}

/** "Source → Destination.schema", with the connections' names when they are known. */
export function Route({ pipeline }: { pipeline: Pipeline }) {
  const { t } = useTranslation();
  const connections = useQuery(connectionsQuery);
  const byId = new Map((connections.data ?? []).map((connection) => [connection.id, connection]));
  const source = byId.get(pipeline.source_connection_id);
  const destination = byId.get(pipeline.destination_connection_id);
  return (
    <span className="flex flex-wrap items-center gap-1.5 text-sm">
      <span className="flex items-center gap-1">
        {source ? <TypeIcon type={source.type} /> : null}
        {source?.name ?? t("pipelines.connectionNumber", { id: pipeline.source_connection_id })}
      </span>
      <ArrowRightIcon aria-label={t("pipelines.into")} className="size-3.5 text-muted-foreground" />
      <span className="flex items-center gap-1">
        {destination ? <TypeIcon type={destination.type} /> : null}
        {destination?.name ?? t("pipelines.connectionNumber", { id: pipeline.destination_connection_id })}
        <span className="font-mono text-xs text-muted-foreground">.{pipeline.destination_schema}</span>
      </span>
    </span>
  );
}
