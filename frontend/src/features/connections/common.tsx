import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  CircleCheckIcon,
  CircleXIcon,
  CloudIcon,
  DatabaseIcon,
  FileSpreadsheetIcon,
  GlobeIcon,
  LeafIcon,
  PlugZapIcon,
  SnowflakeIcon,
  WarehouseIcon,
  type LucideIcon,
} from "lucide-react";
import { useTranslation } from "react-i18next";
import { ErrorAlert } from "@/components/form";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { useFormatDateTime } from "@/lib/datetime";
import { cn } from "@/lib/utils";
import { connectionKeys, testConnection, type Config, type Connection, type ConnectionTestResult } from "./api";

const typeIcons: Record<string, LucideIcon> = {
  postgres: DatabaseIcon,
  mysql: DatabaseIcon,
  mssql: DatabaseIcon,
  sqlite: DatabaseIcon,
  redshift: WarehouseIcon,
  clickhouse: WarehouseIcon,
  bigquery: WarehouseIcon,
  snowflake: SnowflakeIcon,
  s3: CloudIcon,
  file: FileSpreadsheetIcon,
  rest_api: GlobeIcon,
  mongodb: LeafIcon,
};

export function TypeIcon({ type, className }: { type: string; className?: string }) {
  const Icon = typeIcons[type] ?? PlugZapIcon;
  return <Icon aria-hidden="true" className={cn("size-4 shrink-0", className)} />;
}

export function DirectionBadge({ direction }: { direction: Connection["direction"] | null }) {
  const { t } = useTranslation();
  if (!direction) return null;
  return <Badge variant="outline">{t(`connections.direction.${direction}`)}</Badge>;
}

/** The outcome of a connection test: ok with its latency, or failed with the driver's message. */
export function TestOutcome({ result, compact = false }: { result: ConnectionTestResult; compact?: boolean }) {
  const { t } = useTranslation();
  const format = useFormatDateTime();
  const when = format(result.at);
  return (
    <span className="flex min-w-0 flex-col gap-1" data-testid="test-outcome">
      <span className="flex flex-wrap items-center gap-2">
        {result.ok ? (
          <Badge variant="success">
            <CircleCheckIcon aria-hidden="true" />
            {t("connections.test.ok")}
          </Badge>
        ) : (
          <Badge variant="destructive">
            <CircleXIcon aria-hidden="true" />
            {t("connections.test.failed")}
          </Badge>
        )}
        <span className="text-xs text-muted-foreground">{t("connections.test.latency", { ms: result.latency_ms })}</span>
        {when && compact ? <span className="text-xs text-muted-foreground">{when}</span> : null}
      </span>
      {!result.ok && result.message ? (
        <span className={cn("text-sm break-words text-destructive", compact && "line-clamp-2 text-xs")}>{result.message}</span>
      ) : null}
      {result.ok && !compact && result.message ? <span className="text-sm text-muted-foreground">{result.message}</span> : null}
    </span>
  );
}

/**
 * The Test button and its result. `target` is a saved connection's id or an unsaved config; it is
 * read when the button is pressed, so a form can pass its current values.
 */
export function TestButton({
  target,
  disabled,
  onBeforeTest,
  variant = "outline",
}: {
  target: () => { id: number } | { type: string; config: Config } | null;
  disabled?: boolean;
  onBeforeTest?: () => void;
  variant?: "outline" | "secondary";
}) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const test = useMutation({
    mutationFn: testConnection,
    onSuccess: async (_, sent) => {
      // A saved connection keeps its last test result.
      if ("id" in sent) await queryClient.invalidateQueries({ queryKey: connectionKeys.all });
    },
  });
  return (
    <div className="flex flex-col gap-3">
      <div>
        <Button
          type="button"
          variant={variant}
          disabled={disabled === true || test.isPending}
          onClick={() => {
            onBeforeTest?.();
            const next = target();
            if (next) test.mutate(next);
          }}
        >
          <PlugZapIcon aria-hidden="true" />
          {test.isPending ? t("connections.test.testing") : t("connections.test.button")}
        </Button>
      </div>
      <div aria-live="polite">
        {test.isSuccess ? <TestOutcome result={test.data} /> : null}
        {test.isError ? <ErrorAlert error={test.error} title={t("connections.test.requestFailed")} /> : null}
      </div>
    </div>
  );
}
