import { useQuery, useQueryClient, type UseQueryResult } from "@tanstack/react-query";
import { CircleCheckIcon, CircleXIcon, RefreshCwIcon, TriangleAlertIcon } from "lucide-react";
import type { TFunction } from "i18next";
import { useId, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "@/api/client";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { readinessQuery, statusKeys, versionQuery, type Readiness, type Version } from "./api";

export function StatusPage() {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const readiness = useQuery(readinessQuery);
  const version = useQuery(versionQuery);
  const updatedAt = Math.max(readiness.dataUpdatedAt, version.dataUpdatedAt);
  const fetching = readiness.isFetching || version.isFetching;

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={t("status.title")}
        description={t("status.description")}
        actions={
          <Button
            variant="outline"
            size="sm"
            disabled={fetching}
            onClick={() => {
              void queryClient.invalidateQueries({ queryKey: statusKeys.readiness });
              void queryClient.invalidateQueries({ queryKey: statusKeys.version });
            }}
          >
            <RefreshCwIcon aria-hidden="true" className={fetching ? "animate-spin" : undefined} />
            {t("status.refresh")}
          </Button>
        }
      />
      <p className="text-sm text-muted-foreground">
        {t("status.autoRefresh")}{" "}
        {updatedAt > 0
          ? t("status.updatedAt", {
              time: new Intl.DateTimeFormat(i18n.language, { timeStyle: "medium" }).format(updatedAt),
            })
          : null}
      </p>

      <QueryCard query={readiness} title={t("status.readiness.title")} errorTitle={t("status.readiness.error")}>
        {(data) => <ReadinessDetails readiness={data} checkedAt={readiness.dataUpdatedAt} />}
      </QueryCard>
      <QueryCard query={version} title={t("status.build.title")} errorTitle={t("status.build.error")}>
        {(data) => <VersionDetails version={data} />}
      </QueryCard>
    </div>
  );
}

/** A card with the loading, error and success states of one query. */
function QueryCard<T>({
  query,
  title,
  errorTitle,
  children,
}: {
  query: UseQueryResult<T>;
  title: string;
  errorTitle: string;
  children: (data: T) => ReactNode;
}) {
  const { t } = useTranslation();
  const id = useId();
  let body: ReactNode;
  if (query.isPending) {
    body = (
      <div className="flex flex-col gap-2">
        <p role="status" className="text-sm text-muted-foreground">
          {t("status.loading")}
        </p>
        <Skeleton className="h-4 w-2/3" />
        <Skeleton className="h-4 w-1/2" />
      </div>
    );
  } else if (query.isError) {
    // A failed refresh hides the last answer: a stale "ready" would be worse than none.
    body = (
      <Alert variant="destructive" role="alert">
        <TriangleAlertIcon aria-hidden="true" />
        <AlertTitle>{errorTitle}</AlertTitle>
        <AlertDescription>
          <p>{describeError(query.error, t)}</p>
          <div>
            <Button
              variant="outline"
              size="sm"
              onClick={() => {
                void query.refetch();
              }}
            >
              {t("status.retry")}
            </Button>
          </div>
        </AlertDescription>
      </Alert>
    );
  } else {
    body = children(query.data);
  }
  return (
    <Card>
      <section aria-labelledby={id}>
        <CardHeader>
          <CardTitle id={id}>{title}</CardTitle>
        </CardHeader>
        <CardContent>{body}</CardContent>
      </section>
    </Card>
  );
}

function describeError(error: Error, t: TFunction): string {
  if (error instanceof ApiError) {
    const detail = error.problem?.detail ?? error.problem?.title;
    const http = t("status.httpError", { status: error.status });
    return detail ? `${http} ${detail}` : http;
  }
  return t("status.networkError");
}

function ReadinessDetails({ readiness, checkedAt }: { readiness: Readiness; checkedAt: number }) {
  const { t } = useTranslation();
  const ready = readiness.status === "ready";
  const { database, migrations } = readiness;
  const notReported = t("status.notReported");
  let migrationState: string;
  if (migrations.dirty) migrationState = t("status.migrations.dirty");
  else if (migrations.ok) migrationState = t("status.migrations.upToDate");
  else migrationState = t("status.migrations.notUpToDate");

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        <div className="flex items-center gap-3">
          <span className="text-sm text-muted-foreground">{t("status.readiness.overall")}</span>
          <Badge variant={ready ? "success" : "destructive"} data-testid="readiness-status">
            {ready ? <CircleCheckIcon aria-hidden="true" /> : <CircleXIcon aria-hidden="true" />}
            {ready ? t("status.readiness.ready") : t("status.readiness.notReady")}
          </Badge>
        </div>
        <CardDescription>{ready ? t("status.readiness.readyHint") : t("status.readiness.notReadyHint")}</CardDescription>
      </div>
      <div className="grid gap-6 md:grid-cols-2 xl:grid-cols-3">
        <div className="flex flex-col gap-2">
          <h3 className="text-sm font-semibold">{t("status.database.title")}</h3>
          <Facts>
            <Fact label={t("status.database.connection")}>
              <Health ok={database.ok}>
                {database.ok ? t("status.database.reachable") : t("status.database.unreachable")}
              </Health>
            </Fact>
            <Fact label={t("status.database.latency")}>
              {database.latency_ms === undefined
                ? notReported
                : t("status.database.latencyValue", { value: database.latency_ms })}
            </Fact>
            {database.message ? <Fact label={t("status.database.message")}>{database.message}</Fact> : null}
          </Facts>
        </div>
        <div className="flex flex-col gap-2">
          <h3 className="text-sm font-semibold">{t("status.worker.title")}</h3>
          <Facts>
            <Fact label={t("status.worker.heartbeat")}>
              <WorkerHeartbeat at={readiness.worker_heartbeat_at} now={checkedAt} />
            </Fact>
          </Facts>
          <p className="text-xs text-muted-foreground">{t("status.worker.hint")}</p>
        </div>
        <div className="flex flex-col gap-2">
          <h3 className="text-sm font-semibold">{t("status.migrations.title")}</h3>
          <Facts>
            <Fact label={t("status.migrations.state")}>
              <Health ok={migrations.ok && !migrations.dirty}>{migrationState}</Health>
            </Fact>
            <Fact label={t("status.migrations.version")}>{migrations.version}</Fact>
            <Fact label={t("status.migrations.expectedVersion")}>{migrations.expected_version}</Fact>
            <Fact label={t("status.migrations.queueVersion")}>{migrations.queue_version ?? notReported}</Fact>
          </Facts>
        </div>
      </div>
    </div>
  );
}

/**
 * When a worker last proved alive: absolute time plus how long before the readiness answer (`now`),
 * or that none has run yet.
 */
function WorkerHeartbeat({ at, now }: { at: string | null | undefined; now: number }) {
  const { t, i18n } = useTranslation();
  if (!at) return <span data-testid="worker-heartbeat">{t("status.worker.never")}</span>;
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return <span data-testid="worker-heartbeat">{at}</span>;
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
  const relative = new Intl.RelativeTimeFormat(i18n.language, { numeric: "auto" });
  const ago =
    seconds < 60
      ? relative.format(-seconds, "second")
      : seconds < 3600
        ? relative.format(-Math.round(seconds / 60), "minute")
        : seconds < 86_400
          ? relative.format(-Math.round(seconds / 3600), "hour")
          : relative.format(-Math.round(seconds / 86_400), "day");
  const absolute = new Intl.DateTimeFormat(i18n.language, { dateStyle: "medium", timeStyle: "medium" }).format(date);
  return (
    <time data-testid="worker-heartbeat" dateTime={at}>
      {t("status.worker.at", { time: absolute, ago })}
    </time>
  );
}

function VersionDetails({ version }: { version: Version }) {
  const { t } = useTranslation();
  return (
    <Facts>
      <Fact label={t("status.build.version")}>
        <span data-testid="app-version">{version.version}</span>
      </Fact>
      <Fact label={t("status.build.commit")}>
        <code className="font-mono text-xs break-all">{version.commit}</code>
      </Fact>
      <Fact label={t("status.build.buildDate")}>{version.build_date ?? t("status.notReported")}</Fact>
      <Fact label={t("status.build.goVersion")}>{version.go_version}</Fact>
    </Facts>
  );
}

function Facts({ children }: { children: ReactNode }) {
  return <dl className="grid grid-cols-[minmax(8rem,auto)_1fr] gap-x-4 gap-y-2 text-sm">{children}</dl>;
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0">{children}</dd>
    </>
  );
}

function Health({ ok, children }: { ok: boolean; children: ReactNode }) {
  const Icon = ok ? CircleCheckIcon : CircleXIcon;
  return (
    <span className={ok ? "inline-flex items-center gap-1.5" : "inline-flex items-center gap-1.5 text-destructive"}>
      <Icon className={ok ? "size-4 text-success" : "size-4"} aria-hidden="true" />
      {children}
    </span>
  );
}
