import { useInfiniteQuery } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { ChevronDownIcon, ChevronRightIcon } from "lucide-react";
import { Fragment, useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert, Field } from "@/components/form";
import { Loading } from "@/components/loading";
import { NeedsRole } from "@/components/needs-role";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useHasRole } from "@/features/auth/hooks";
import { useFormatDateTime } from "@/lib/datetime";
import { auditLogsQuery, type AuditLog } from "./api";
import type { AuditSearch } from "./audit-search";

export function AuditLogPage() {
  const { t } = useTranslation();
  const isAdmin = useHasRole("admin");
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={t("nav.auditLog")} description={t("sections.auditLog.description")} eyebrow={t("nav.settings")} />
      {isAdmin ? <AuditLogView /> : <NeedsRole role="admin" what={t("settings.audit.adminOnly")} />}
    </div>
  );
}

function AuditLogView() {
  const { t } = useTranslation();
  const search = useSearch({ from: "/app/authed/settings/audit-log" });
  const logs = useInfiniteQuery(auditLogsQuery(search));
  const items = logs.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <Filters key={JSON.stringify(search)} search={search} />
      {logs.isPending ? <Loading /> : null}
      {logs.isError ? <ErrorAlert error={logs.error} title={t("settings.audit.loadFailed")} /> : null}
      {logs.isSuccess && items.length === 0 ? <EmptyState>{t("settings.audit.empty")}</EmptyState> : null}
      {items.length > 0 ? <AuditTable items={items} /> : null}
      {logs.hasNextPage ? (
        <div>
          <Button
            variant="outline"
            disabled={logs.isFetchingNextPage}
            onClick={() => {
              void logs.fetchNextPage();
            }}
          >
            {logs.isFetchingNextPage ? t("common.loading") : t("settings.audit.loadMore")}
          </Button>
        </div>
      ) : null}
    </>
  );
}

/** An RFC 3339 instant as the value of a datetime-local input, in the browser's time zone. */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${String(date.getFullYear())}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function Filters({ search }: { search: AuditSearch }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [action, setAction] = useState(search.action ?? "");
  const [resourceType, setResourceType] = useState(search.resource_type ?? "");
  const [actorId, setActorId] = useState(search.actor_id === undefined ? "" : String(search.actor_id));
  const [since, setSince] = useState(toLocalInput(search.since));
  const [until, setUntil] = useState(toLocalInput(search.until));
  const actorValid = actorId === "" || /^[1-9]\d*$/.test(actorId.trim());

  function apply(event: SyntheticEvent) {
    event.preventDefault();
    if (!actorValid) return;
    void navigate({
      to: "/settings/audit-log",
      search: {
        action: action.trim() || undefined,
        resource_type: resourceType.trim() || undefined,
        actor_id: actorId.trim() ? Number(actorId.trim()) : undefined,
        since: fromLocalInput(since),
        until: fromLocalInput(until),
      },
    });
  }

  return (
    <Card>
      <CardContent className="pt-6">
        <form
          noValidate
          onSubmit={apply}
          aria-label={t("settings.audit.filters")}
          className="grid gap-4 sm:grid-cols-2 lg:grid-cols-5"
        >
          <Field label={t("settings.audit.action")} hint={t("settings.audit.actionHint")}>
            {(props) => (
              <Input {...props} value={action} onChange={(event) => { setAction(event.target.value); }} />
            )}
          </Field>
          <Field label={t("settings.audit.resourceType")}>
            {(props) => (
              <Input {...props} value={resourceType} onChange={(event) => { setResourceType(event.target.value); }} />
            )}
          </Field>
          <Field label={t("settings.audit.actorId")} error={actorValid ? undefined : t("settings.audit.actorIdInvalid")}>
            {(props) => (
              <Input {...props} inputMode="numeric" value={actorId} onChange={(event) => { setActorId(event.target.value); }} />
            )}
          </Field>
          <Field label={t("settings.audit.since")}>
            {(props) => (
              <Input {...props} type="datetime-local" value={since} onChange={(event) => { setSince(event.target.value); }} />
            )}
          </Field>
          <Field label={t("settings.audit.until")}>
            {(props) => (
              <Input {...props} type="datetime-local" value={until} onChange={(event) => { setUntil(event.target.value); }} />
            )}
          </Field>
          <div className="flex gap-2 sm:col-span-2 lg:col-span-5">
            <Button type="submit">{t("settings.audit.apply")}</Button>
            <Button
              variant="outline"
              onClick={() => {
                void navigate({ to: "/settings/audit-log", search: {} });
              }}
            >
              {t("settings.audit.clear")}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

function AuditTable({ items }: { items: AuditLog[] }) {
  const { t } = useTranslation();
  const format = useFormatDateTime();
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const toggle = (id: number) => {
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  };
  return (
    <Table>
      <TableHeader>
        <TableRow>
          <TableHead>
            <span className="sr-only">{t("settings.audit.details")}</span>
          </TableHead>
          <TableHead>{t("settings.audit.time")}</TableHead>
          <TableHead>{t("settings.audit.actor")}</TableHead>
          <TableHead>{t("settings.audit.action")}</TableHead>
          <TableHead>{t("settings.audit.resource")}</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {items.map((entry) => {
          const expanded = open.has(entry.id);
          const detailsId = `audit-${String(entry.id)}`;
          return (
            <Fragment key={entry.id}>
              <TableRow>
                <TableCell className="w-10">
                  <Button
                    variant="ghost"
                    size="icon"
                    aria-expanded={expanded}
                    aria-controls={expanded ? detailsId : undefined}
                    aria-label={t("settings.audit.toggle", { action: entry.action, time: format(entry.at) ?? entry.at })}
                    onClick={() => {
                      toggle(entry.id);
                    }}
                  >
                    {expanded ? <ChevronDownIcon aria-hidden="true" /> : <ChevronRightIcon aria-hidden="true" />}
                  </Button>
                </TableCell>
                <TableCell className="whitespace-nowrap">
                  <time dateTime={entry.at}>{format(entry.at)}</time>
                </TableCell>
                <TableCell>
                  <span className="flex flex-col">
                    <span>{entry.actor.name ?? t(`settings.audit.actorType.${entry.actor.type}`)}</span>
                    <span className="text-xs text-muted-foreground">
                      {t(`settings.audit.actorType.${entry.actor.type}`)}
                      {entry.actor.id != null ? ` #${String(entry.actor.id)}` : ""}
                    </span>
                  </span>
                </TableCell>
                <TableCell>
                  <Badge variant="secondary">{entry.action}</Badge>
                </TableCell>
                <TableCell>
                  {entry.resource_type}
                  {entry.resource_id ? <span className="text-muted-foreground"> #{entry.resource_id}</span> : null}
                </TableCell>
              </TableRow>
              {expanded ? (
                <TableRow id={detailsId}>
                  <TableCell />
                  <TableCell colSpan={4}>
                    <AuditDetails entry={entry} />
                  </TableCell>
                </TableRow>
              ) : null}
            </Fragment>
          );
        })}
      </TableBody>
    </Table>
  );
}

function show(value: unknown): string {
  if (value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The fields an entry changed, old value next to new value. */
export function AuditDetails({ entry }: { entry: AuditLog }) {
  const { t } = useTranslation();
  const before = entry.old_values ?? {};
  const after = entry.new_values ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return (
    <div className="flex flex-col gap-3 py-2">
      {keys.length === 0 ? (
        <p className="text-sm text-muted-foreground">{t("settings.audit.noValues")}</p>
      ) : (
        <table className="w-full text-xs" aria-label={t("settings.audit.changes")}>
          <thead>
            <tr className="text-left text-muted-foreground">
              <th scope="col" className="py-1 pr-3 font-medium">{t("settings.audit.field")}</th>
              <th scope="col" className="py-1 pr-3 font-medium">{t("settings.audit.oldValue")}</th>
              <th scope="col" className="py-1 font-medium">{t("settings.audit.newValue")}</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => {
              const oldValue = show(before[key]);
              const newValue = show(after[key]);
              const changed = oldValue !== newValue;
              return (
                <tr key={key} data-changed={changed || undefined}>
                  <th scope="row" className="py-1 pr-3 text-left font-mono font-normal">{key}</th>
                  <td className={changed ? "py-1 pr-3 font-mono break-all text-destructive line-through decoration-1" : "py-1 pr-3 font-mono break-all"}>
                    {oldValue}
                  </td>
                  <td className={changed ? "py-1 font-mono break-all text-success" : "py-1 font-mono break-all"}>{newValue}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p className="text-xs text-muted-foreground">
        {t("settings.audit.origin", { ip: entry.ip ?? "—", agent: entry.user_agent ?? "—" })}
      </p>
    </div>
  );
}
