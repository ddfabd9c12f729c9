import { useInfiniteQuery } from "@tanstack/react-query";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import { NetworkIcon } from "lucide-react";
import { useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert, Field } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Input, NativeSelect } from "@/components/ui/input";
import { runStatuses, runsQuery, runTargetTypes, runTriggers } from "./api";
import { RunsTable } from "./common";
import type { RunsSearch } from "./search";

export function RunsPage() {
  const { t } = useTranslation();
  const search = useSearch({ from: "/app/authed/runs/" });
  // Only the API's filters, whatever else the URL carries.
  const filters = {
    status: search.status,
    target_type: search.target_type,
    target_id: search.target_id,
    trigger: search.trigger,
    dag_run_id: search.dag_run_id,
    since: search.since,
    until: search.until,
  };
  const runs = useInfiniteQuery({
    ...runsQuery(filters),
    // Active runs change on their own: refresh while any is shown.
    refetchInterval: (query) =>
      query.state.data?.pages.some((page) => page.items.some((run) => run.status === "queued" || run.status === "running"))
        ? 5_000
        : false,
  });
  const items = runs.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = JSON.stringify(filters) !== "{}";
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={t("nav.runs")} description={t("sections.runs.description")} />
      <Filters key={JSON.stringify(search)} search={search} />
      {search.dag_run_id !== undefined ? (
        <Alert role="status">
          <NetworkIcon aria-hidden="true" />
          <AlertTitle>{t("runs.dagRun.title", { id: search.dag_run_id })}</AlertTitle>
          <AlertDescription>
            <p>{t("runs.dagRun.body")}</p>
            <span className="flex flex-wrap gap-3">
              <Link to="/dag" search={{ dag_run: search.dag_run_id }} className="font-medium text-primary hover:underline">
                {t("runs.dagRun.showOnDag")}
              </Link>
              <Link to="/runs" search={{ ...search, dag_run_id: undefined }} className="font-medium text-primary hover:underline">
                {t("runs.dagRun.allRuns")}
              </Link>
            </span>
          </AlertDescription>
        </Alert>
      ) : null}
      {runs.isPending ? <Loading /> : null}
      {runs.isError ? <ErrorAlert error={runs.error} title={t("runs.loadFailed")} /> : null}
      {runs.isSuccess && items.length === 0 ? (
        <EmptyState>{filtered ? t("runs.emptyFiltered") : t("runs.empty")}</EmptyState>
      ) : null}
      {items.length > 0 ? <RunsTable runs={items} showTarget label={t("runs.tableLabel")} /> : null}
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
    </div>
  );
}

/** An RFC 3339 instant as the value of a datetime-local input, in the browser's time zone. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${String(date.getFullYear())}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function oneOf<T extends string>(value: string, allowed: readonly T[]): T | undefined {
  return (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

function Filters({ search }: { search: RunsSearch }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [status, setStatus] = useState<string>(search.status ?? "");
  const [targetType, setTargetType] = useState<string>(search.target_type ?? "");
  const [targetId, setTargetId] = useState(search.target_id === undefined ? "" : String(search.target_id));
  const [trigger, setTrigger] = useState<string>(search.trigger ?? "");
  const [since, setSince] = useState(toLocalInput(search.since));
  const [until, setUntil] = useState(toLocalInput(search.until));
  const targetIdValid = targetId.trim() === "" || /^[1-9]\d*$/.test(targetId.trim());

  function apply(event: SyntheticEvent) {
    event.preventDefault();
    if (!targetIdValid) return;
    void navigate({
      to: "/runs",
      search: {
        status: oneOf(status, runStatuses),
        target_type: oneOf(targetType, runTargetTypes),
        target_id: targetId.trim() ? Number(targetId.trim()) : undefined,
        trigger: oneOf(trigger, runTriggers),
        dag_run_id: search.dag_run_id,
        since: fromLocalInput(since),
        until: fromLocalInput(until),
      },
    });
  }

  return (
    <Card>
      <CardContent className="pt-6">
        <form noValidate onSubmit={apply} aria-label={t("runs.filters.label")} className="grid gap-4 sm:grid-cols-2 lg:grid-cols-6">
          <Field label={t("runs.filters.status")}>
            {(props) => (
              <NativeSelect {...props} value={status} onChange={(event) => { setStatus(event.target.value); }}>
                <option value="">{t("runs.filters.any")}</option>
                {runStatuses.map((value) => (
                  <option key={value} value={value}>
                    {t(`runs.status.${value}`)}
                  </option>
                ))}
              </NativeSelect>
            )}
          </Field>
          <Field label={t("runs.filters.targetType")}>
            {(props) => (
              <NativeSelect {...props} value={targetType} onChange={(event) => { setTargetType(event.target.value); }}>
                <option value="">{t("runs.filters.any")}</option>
                {runTargetTypes.map((value) => (
                  <option key={value} value={value}>
                    {t(`runs.targetType.${value}`)}
                  </option>
                ))}
              </NativeSelect>
            )}
          </Field>
          <Field label={t("runs.filters.targetId")} error={targetIdValid ? undefined : t("runs.filters.targetIdInvalid")}>
            {(props) => (
              <Input {...props} inputMode="numeric" value={targetId} onChange={(event) => { setTargetId(event.target.value); }} />
            )}
          </Field>
          <Field label={t("runs.filters.trigger")}>
            {(props) => (
              <NativeSelect {...props} value={trigger} onChange={(event) => { setTrigger(event.target.value); }}>
                <option value="">{t("runs.filters.any")}</option>
                {runTriggers.map((value) => (
                  <option key={value} value={value}>
                    {t(`runs.trigger.${value}`)}
                  </option>
                ))}
              </NativeSelect>
            )}
          </Field>
          <Field label={t("runs.filters.since")}>
            {(props) => (
              <Input {...props} type="datetime-local" value={since} onChange={(event) => { setSince(event.target.value); }} />
            )}
          </Field>
          <Field label={t("runs.filters.until")}>
            {(props) => (
              <Input {...props} type="datetime-local" value={until} onChange={(event) => { setUntil(event.target.value); }} />
            )}
          </Field>
          <div className="flex gap-2 sm:col-span-2 lg:col-span-6">
            <Button type="submit">{t("runs.filters.apply")}</Button>
            <Button
              variant="outline"
              onClick={() => {
                void navigate({ to: "/runs", search: {} });
              }}
            >
              {t("runs.filters.clear")}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
