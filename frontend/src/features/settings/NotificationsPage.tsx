import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { BellPlusIcon, HistoryIcon, PencilIcon, RotateCcwIcon, SendIcon, Trash2Icon, TriangleAlertIcon } from "lucide-react";
import { useId, useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "@/api/client";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { CopyButton, ErrorAlert, Field } from "@/components/form";
import { Loading } from "@/components/loading";
import { NeedsRole } from "@/components/needs-role";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Badge, type BadgeProps } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogTitle } from "@/components/ui/dialog";
import { Input, NativeSelect } from "@/components/ui/input";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useConfirmDelete } from "@/components/use-confirm-delete";
import { useHasRole } from "@/features/auth/hooks";
import { nodeKey, parseNodeKey } from "@/features/dag/api";
import { NodeLink, NodeOptions } from "@/features/dag/common";
import { useFormatDateTime } from "@/lib/datetime";
import {
  createNotification,
  deleteNotification,
  deliveriesQuery,
  notificationChannels,
  notificationEvents,
  notificationsQuery,
  redeliver,
  settingsKeys,
  testNotification,
  updateNotification,
  type Notification,
  type NotificationChannel,
  type NotificationDelivery,
  type NotificationEvent,
} from "./api";

export function NotificationsPage() {
  const { t } = useTranslation();
  const isAdmin = useHasRole("admin");
  const [creating, setCreating] = useState(false);
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={t("nav.notifications")}
        description={t("sections.notifications.description")}
        eyebrow={t("nav.settings")}
        actions={
          isAdmin ? (
            <Button
              onClick={() => {
                setCreating(true);
              }}
            >
              <BellPlusIcon aria-hidden="true" />
              {t("notifications.create")}
            </Button>
          ) : null
        }
      />
      {isAdmin ? <Channels /> : <NeedsRole role="admin" what={t("notifications.adminOnly")} />}
      {isAdmin ? <ChannelDialog open={creating} onOpenChange={setCreating} saved={null} /> : null}
    </div>
  );
}

function Channels() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const channels = useQuery(notificationsQuery);
  const [editing, setEditing] = useState<Notification | null>(null);
  const [log, setLog] = useState<number | null>(null);
  const del = useConfirmDelete({
    remove: (channel: Notification) => deleteNotification(channel.id),
    onDeleted: () => queryClient.invalidateQueries({ queryKey: settingsKeys.notifications }),
  });
  if (channels.isPending) return <Loading />;
  if (channels.isError) return <ErrorAlert error={channels.error} title={t("notifications.loadFailed")} />;
  return (
    <>
      {channels.data.length === 0 ? (
        <EmptyState>{t("notifications.empty")}</EmptyState>
      ) : (
        <ul aria-label={t("notifications.listLabel")} className="flex flex-col gap-4">
          {channels.data.map((channel) => (
            <li key={channel.id} className="flex flex-col gap-3 rounded-lg border p-4" aria-label={channel.name}>
              <div className="flex flex-col gap-2 sm:flex-row sm:items-start sm:justify-between">
                <div className="flex min-w-0 flex-col gap-1">
                  <span className="flex flex-wrap items-center gap-2">
                    <span className="font-medium">{channel.name}</span>
                    <Badge variant="secondary">{t(`notifications.channel.${channel.channel}`)}</Badge>
                    {channel.is_active ? null : <Badge variant="outline">{t("notifications.inactive")}</Badge>}
                  </span>
                  <code className="truncate font-mono text-xs text-muted-foreground" title={channel.url}>
                    {channel.url}
                  </code>
                  <span className="flex flex-wrap gap-1">
                    {channel.events.map((event) => (
                      <Badge key={event} variant="outline">
                        {t(`notifications.event.${event}`)}
                      </Badge>
                    ))}
                  </span>
                  <span className="text-xs text-muted-foreground">
                    {channel.target_type !== null && channel.target_id !== null ? (
                      <>
                        {t("notifications.scopeNode")}{" "}
                        <NodeLink type={channel.target_type} id={channel.target_id}>
                          {channel.target_name ?? nodeKey({ type: channel.target_type, id: channel.target_id })}
                        </NodeLink>
                      </>
                    ) : (
                      t("notifications.scopeOrg")
                    )}
                  </span>
                </div>
                <div className="flex flex-wrap gap-1">
                  <TestButton channel={channel} />
                  <Button
                    variant="outline"
                    size="sm"
                    aria-expanded={log === channel.id}
                    onClick={() => {
                      setLog(log === channel.id ? null : channel.id);
                    }}
                  >
                    <HistoryIcon aria-hidden="true" />
                    {t("notifications.deliveries")}
                  </Button>
                  <Button
                    variant="ghost"
                    size="sm"
                    aria-label={`${t("notifications.edit")} ${channel.name}`}
                    onClick={() => {
                      setEditing(channel);
                    }}
                  >
                    <PencilIcon aria-hidden="true" />
                    {t("notifications.edit")}
                  </Button>
                  <Button
                    variant="ghost"
                    size="sm"
                    aria-label={`${t("notifications.delete")} ${channel.name}`}
                    onClick={() => {
                      del.ask(channel);
                    }}
                  >
                    <Trash2Icon aria-hidden="true" />
                    {t("notifications.delete")}
                  </Button>
                </div>
              </div>
              {log === channel.id ? <DeliveryLog channel={channel} /> : null}
            </li>
          ))}
        </ul>
      )}
      <ChannelDialog
        open={editing !== null}
        onOpenChange={(open) => {
          if (!open) setEditing(null);
        }}
        saved={editing}
      />
      <ConfirmDialog
        {...del.dialog}
        title={t("notifications.deleteTitle", { name: del.target?.name ?? "" })}
        description={t("notifications.deleteBody")}
        confirmLabel={t("notifications.delete")}
      />
    </>
  );
}

/** "HTTP 200" or the error, for one attempt. */
function attemptOutcome(delivery: NotificationDelivery): string {
  const code = delivery.status_code === null ? "" : `HTTP ${String(delivery.status_code)}`;
  return [code, delivery.error ?? ""].filter(Boolean).join(" · ");
}

function TestButton({ channel }: { channel: Notification }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const test = useMutation({
    mutationFn: () => testNotification(channel.id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: settingsKeys.deliveries(channel.id) }),
  });
  const delivered = test.data?.state === "delivered";
  return (
    <span className="flex items-center gap-2">
      <Button
        variant="outline"
        size="sm"
        disabled={test.isPending}
        aria-label={`${t("notifications.test")} ${channel.name}`}
        onClick={() => {
          test.mutate();
        }}
      >
        <SendIcon aria-hidden="true" />
        {test.isPending ? t("notifications.testing") : t("notifications.test")}
      </Button>
      <span role="status" className={delivered ? "text-xs text-success" : "text-xs text-destructive"}>
        {test.data
          ? delivered
            ? t("notifications.testDelivered", { outcome: attemptOutcome(test.data) })
            : t("notifications.testFailed", { outcome: attemptOutcome(test.data) || t(`notifications.state.${test.data.state}`) })
          : null}
        {test.error ? (test.error instanceof ApiError ? test.error.message : t("errors.network")) : null}
      </span>
    </span>
  );
}

const stateVariant: Record<NotificationDelivery["state"], BadgeProps["variant"]> = {
  pending: "secondary",
  retrying: "secondary",
  delivered: "success",
  failed: "destructive",
};

function DeliveryLog({ channel }: { channel: Notification }) {
  const { t } = useTranslation();
  const format = useFormatDateTime();
  const queryClient = useQueryClient();
  const deliveries = useQuery(deliveriesQuery(channel.id));
  const again = useMutation({
    mutationFn: (delivery: NotificationDelivery) => redeliver(channel.id, delivery.id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: settingsKeys.deliveries(channel.id) }),
  });
  if (deliveries.isPending) return <Loading />;
  if (deliveries.isError) return <ErrorAlert error={deliveries.error} title={t("notifications.deliveriesFailed")} />;
  if (deliveries.data.length === 0) return <EmptyState>{t("notifications.noDeliveries")}</EmptyState>;
  return (
    <div className="flex flex-col gap-2">
      {again.isError ? <ErrorAlert error={again.error} title={t("notifications.redeliverFailed")} /> : null}
      <Table aria-label={t("notifications.deliveriesOf", { name: channel.name })}>
        <TableHeader>
          <TableRow>
            <TableHead>{t("notifications.columns.at")}</TableHead>
            <TableHead>{t("notifications.columns.event")}</TableHead>
            <TableHead>{t("notifications.columns.run")}</TableHead>
            <TableHead>{t("notifications.columns.attempt")}</TableHead>
            <TableHead>{t("notifications.columns.state")}</TableHead>
            <TableHead>{t("notifications.columns.status")}</TableHead>
            <TableHead>{t("notifications.columns.error")}</TableHead>
            <TableHead>
              <span className="sr-only">{t("common.actions")}</span>
            </TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {deliveries.data.map((delivery) => (
            <TableRow key={delivery.id}>
              <TableCell className="whitespace-nowrap">
                <time dateTime={delivery.at}>{format(delivery.at)}</time>
              </TableCell>
              <TableCell>
                <code className="font-mono text-xs">{delivery.event}</code>
              </TableCell>
              <TableCell>
                {delivery.run_id === null ? (
                  "—"
                ) : (
                  <Link to="/runs/$runId" params={{ runId: delivery.run_id }} className="hover:underline">
                    {t("runs.runNumber", { id: delivery.run_id })}
                  </Link>
                )}
              </TableCell>
              <TableCell className="tabular-nums">{delivery.attempt}</TableCell>
              <TableCell>
                <Badge variant={stateVariant[delivery.state]}>{t(`notifications.state.${delivery.state}`)}</Badge>
              </TableCell>
              <TableCell className="tabular-nums">{delivery.status_code ?? "—"}</TableCell>
              <TableCell className="max-w-xs text-xs text-destructive">{delivery.error ?? ""}</TableCell>
              <TableCell className="text-right">
                <Button
                  variant="ghost"
                  size="sm"
                  disabled={again.isPending}
                  aria-label={t("notifications.redeliverOne", { id: delivery.id })}
                  onClick={() => {
                    again.mutate(delivery);
                  }}
                >
                  <RotateCcwIcon aria-hidden="true" />
                  {t("notifications.redeliver")}
                </Button>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}

type ChannelForm = {
  name: string;
  channel: NotificationChannel;
  url: string;
  events: NotificationEvent[];
  scope: "org" | "node";
  target: string;
  isActive: boolean;
};

function formOf(saved: Notification | null): ChannelForm {
  if (!saved) return { name: "", channel: "webhook", url: "", events: ["failure"], scope: "org", target: "", isActive: true };
  return {
    name: saved.name,
    channel: saved.channel,
    url: saved.url,
    events: saved.events,
    scope: saved.target_type === null ? "org" : "node",
    target: saved.target_type !== null && saved.target_id !== null ? nodeKey({ type: saved.target_type, id: saved.target_id }) : "",
    isActive: saved.is_active,
  };
}

function ChannelDialog({ open, onOpenChange, saved }: { open: boolean; onOpenChange: (open: boolean) => void; saved: Notification | null }) {
  const { t } = useTranslation();
  const [created, setCreated] = useState<Notification | null>(null);
  const close = (next: boolean) => {
    onOpenChange(next);
    if (!next) setCreated(null);
  };
  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent closeLabel={t("common.close")} className="max-w-xl">
        {created ? (
          <CreatedChannel
            created={created}
            onDone={() => {
              close(false);
            }}
          />
        ) : (
          <>
            <DialogTitle>{saved ? t("notifications.editTitle", { name: saved.name }) : t("notifications.createTitle")}</DialogTitle>
            <DialogDescription>{t("notifications.formDescription")}</DialogDescription>
            {open ? (
              <ChannelFormView
                key={saved?.id ?? "new"}
                saved={saved}
                onCancel={() => {
                  close(false);
                }}
                onSaved={(channel) => {
                  if (!saved && channel.secret) setCreated(channel);
                  else close(false);
                }}
              />
            ) : null}
          </>
        )}
      </DialogContent>
    </Dialog>
  );
}

function ChannelFormView({ saved, onCancel, onSaved }: { saved: Notification | null; onCancel: () => void; onSaved: (channel: Notification) => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<ChannelForm>(() => formOf(saved));
  const [touched, setTouched] = useState(false);
  const activeId = useId();
  const set = <K extends keyof ChannelForm>(key: K, value: ChannelForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
  };
  const target = form.scope === "node" ? parseNodeKey(form.target) : undefined;
  const errors = {
    name: form.name.trim() === "" ? t("notifications.errors.name") : undefined,
    url: /^https?:\/\/\S+$/.test(form.url.trim()) ? undefined : t("notifications.errors.url"),
    events: form.events.length === 0 ? t("notifications.errors.events") : undefined,
    target: form.scope === "node" && !target ? t("notifications.errors.target") : undefined,
  };
  const save = useMutation({
    mutationFn: () => {
      const scope = target ? { target_type: target.type, target_id: target.id } : { target_type: null, target_id: null };
      const common = { name: form.name.trim(), url: form.url.trim(), events: form.events, is_active: form.isActive, ...scope };
      return saved ? updateNotification(saved.id, common) : createNotification({ ...common, channel: form.channel });
    },
    onSuccess: async (channel) => {
      await queryClient.invalidateQueries({ queryKey: settingsKeys.notifications });
      onSaved(channel);
    },
  });
  const serverErrors = save.error instanceof ApiError ? save.error.fieldErrors : {};
  function submit(event: SyntheticEvent) {
    event.preventDefault();
    setTouched(true);
    if (Object.values(errors).some(Boolean)) return;
    save.mutate();
  }
  const show = (key: keyof typeof errors) => (touched ? errors[key] : undefined) ?? serverErrors[key === "target" ? "target_id" : key];
  return (
    <form noValidate onSubmit={submit} className="flex flex-col gap-4" aria-label={t("notifications.formLabel")}>
      {save.isError ? <ErrorAlert error={save.error} title={t("notifications.saveFailed")} /> : null}
      <Field label={t("notifications.fields.name")} error={show("name")}>
        {(props) => (
          <Input
            {...props}
            value={form.name}
            onChange={(event) => {
              set("name", event.target.value);
            }}
          />
        )}
      </Field>
      <Field label={t("notifications.fields.channel")}>
        {(props) => (
          <NativeSelect
            {...props}
            value={form.channel}
            disabled={saved !== null}
            onChange={(event) => {
              set("channel", event.target.value as NotificationChannel);
            }}
          >
            {notificationChannels.map((channel) => (
              <option key={channel} value={channel}>
                {t(`notifications.channel.${channel}`)}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      <Field label={t("notifications.fields.url")} hint={t(`notifications.urlHint.${form.channel}`)} error={show("url")}>
        {(props) => (
          <Input
            {...props}
            type="url"
            className="font-mono"
            value={form.url}
            placeholder="https://"
            onChange={(event) => {
              set("url", event.target.value);
            }}
          />
        )}
      </Field>
      <fieldset className="flex flex-col gap-2">
        <legend className="mb-2 text-sm font-medium">{t("notifications.fields.events")}</legend>
        {notificationEvents.map((event) => (
          <label key={event} className="flex items-start gap-2 text-sm">
            <input
              type="checkbox"
              className="mt-0.5 size-4 accent-primary"
              checked={form.events.includes(event)}
              onChange={(e) => {
                set("events", e.target.checked ? [...form.events, event] : form.events.filter((x) => x !== event));
              }}
            />
            <span>
              <span className="font-medium">{t(`notifications.event.${event}`)}</span>
              <span className="block text-xs text-muted-foreground">{t(`notifications.eventHint.${event}`)}</span>
            </span>
          </label>
        ))}
        {show("events") ? <p className="text-sm text-destructive">{show("events")}</p> : null}
      </fieldset>
      <fieldset className="flex flex-col gap-2">
        <legend className="mb-2 text-sm font-medium">{t("notifications.fields.scope")}</legend>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="radio"
            name="scope"
            className="size-4 accent-primary"
            checked={form.scope === "org"}
            onChange={() => {
              set("scope", "org");
            }}
          />
          {t("notifications.scopeOrg")}
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="radio"
            name="scope"
            className="size-4 accent-primary"
            checked={form.scope === "node"}
            onChange={() => {
              set("scope", "node");
            }}
          />
          {t("notifications.scopeOneNode")}
        </label>
        {form.scope === "node" ? (
          <Field label={t("notifications.fields.node")} error={show("target")}>
            {(props) => (
              <NativeSelect
                {...props}
                value={form.target}
                onChange={(event) => {
                  set("target", event.target.value);
                }}
              >
                <option value="">{t("schedules.chooseTarget")}</option>
                <NodeOptions />
              </NativeSelect>
            )}
          </Field>
        ) : null}
      </fieldset>
      <label htmlFor={activeId} className="flex items-center gap-2 text-sm">
        <input
          id={activeId}
          type="checkbox"
          className="size-4 accent-primary"
          checked={form.isActive}
          onChange={(event) => {
            set("isActive", event.target.checked);
          }}
        />
        {t("notifications.fields.active")}
      </label>
      <DialogFooter>
        <Button variant="outline" onClick={onCancel}>
          {t("common.cancel")}
        </Button>
        <Button type="submit" disabled={save.isPending}>
          {saved ? t("common.save") : t("notifications.create")}
        </Button>
      </DialogFooter>
    </form>
  );
}

function CreatedChannel({ created, onDone }: { created: Notification; onDone: () => void }) {
  const { t } = useTranslation();
  return (
    <>
      <DialogTitle>{t("notifications.createdTitle", { name: created.name })}</DialogTitle>
      <DialogDescription>{t("notifications.createdDescription")}</DialogDescription>
      <Alert>
        <TriangleAlertIcon aria-hidden="true" />
        <AlertTitle>{t("notifications.onceTitle")}</AlertTitle>
        <AlertDescription>
          <p>{t("notifications.onceBody")}</p>
        </AlertDescription>
      </Alert>
      <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
        <code data-testid="webhook-secret" className="min-w-0 flex-1 rounded bg-muted px-2 py-2 font-mono text-xs break-all select-all">
          {created.secret}
        </code>
        <CopyButton value={created.secret ?? ""} label={t("notifications.copySecret")} />
      </div>
      <DialogFooter>
        <Button onClick={onDone}>{t("notifications.done")}</Button>
      </DialogFooter>
    </>
  );
}
