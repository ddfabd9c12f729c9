import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { PlusIcon, TriangleAlertIcon } from "lucide-react";
import { useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "@/api/client";
import { unwrap } from "@/api/unwrap";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { CopyButton, ErrorAlert, Field } from "@/components/form";
import { Loading } from "@/components/loading";
import { NeedsRole } from "@/components/needs-role";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useConfirmDelete } from "@/components/use-confirm-delete";
import { useHasRole } from "@/features/auth/hooks";
import { useFormatDateTime } from "@/lib/datetime";
import { apiKeyScopes, apiKeysQuery, settingsKeys, type ApiKey, type ApiKeyCreated, type ApiKeyScope } from "./api";

export function ApiKeysPage() {
  const { t } = useTranslation();
  const isAdmin = useHasRole("admin");
  const [creating, setCreating] = useState(false);
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={t("nav.apiKeys")}
        description={t("sections.apiKeys.description")}
        eyebrow={t("nav.settings")}
        actions={
          isAdmin ? (
            <Button
              onClick={() => {
                setCreating(true);
              }}
            >
              <PlusIcon aria-hidden="true" />
              {t("settings.apiKeys.create")}
            </Button>
          ) : null
        }
      />
      {isAdmin ? <KeysTable /> : <NeedsRole role="admin" what={t("settings.apiKeys.adminOnly")} />}
      {isAdmin ? <CreateKeyDialog open={creating} onOpenChange={setCreating} /> : null}
    </div>
  );
}

function KeysTable() {
  const { t } = useTranslation();
  const keys = useQuery(apiKeysQuery);
  const queryClient = useQueryClient();
  const format = useFormatDateTime();
  const revoke = useConfirmDelete({
    remove: async (key: ApiKey) => {
      unwrap(await api.DELETE("/api/v1/api-keys/{id}", { params: { path: { id: key.id } } }));
    },
    onDeleted: () => queryClient.invalidateQueries({ queryKey: settingsKeys.apiKeys }),
  });
  if (keys.isPending) return <Loading />;
  if (keys.isError) return <ErrorAlert error={keys.error} title={t("settings.apiKeys.loadFailed")} />;
  return (
    <>
      {keys.data.length === 0 ? (
        <EmptyState>{t("settings.apiKeys.empty")}</EmptyState>
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>{t("settings.apiKeys.name")}</TableHead>
              <TableHead>{t("settings.apiKeys.prefix")}</TableHead>
              <TableHead>{t("settings.apiKeys.scopes")}</TableHead>
              <TableHead>{t("settings.apiKeys.expires")}</TableHead>
              <TableHead>{t("settings.apiKeys.lastUsed")}</TableHead>
              <TableHead>{t("settings.apiKeys.createdBy")}</TableHead>
              <TableHead>
                <span className="sr-only">{t("common.actions")}</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {keys.data.map((key) => (
              <TableRow key={key.id}>
                <TableCell className="font-medium">{key.name}</TableCell>
                <TableCell>
                  <code className="font-mono text-xs">{key.prefix}…</code>
                </TableCell>
                <TableCell>
                  <span className="flex flex-wrap gap-1">
                    {key.scopes.map((scope) => (
                      <Badge key={scope} variant="secondary">
                        {t(`settings.apiKeys.scope.${scope}`)}
                      </Badge>
                    ))}
                  </span>
                </TableCell>
                <TableCell>{format(key.expires_at) ?? t("settings.apiKeys.never")}</TableCell>
                <TableCell>{format(key.last_used_at) ?? t("settings.apiKeys.neverUsed")}</TableCell>
                <TableCell>{key.created_by.full_name}</TableCell>
                <TableCell className="text-right">
                  <Button
                    aria-label={`${t("settings.apiKeys.revoke")} ${key.name}`}
                    variant="ghost"
                    size="sm"
                    onClick={() => {
                      revoke.ask(key);
                    }}
                  >
                    {t("settings.apiKeys.revoke")}
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <ConfirmDialog
        {...revoke.dialog}
        title={t("settings.apiKeys.revokeTitle", { name: revoke.target?.name ?? "" })}
        description={t("settings.apiKeys.revokeBody")}
        confirmLabel={t("settings.apiKeys.revoke")}
      />
    </>
  );
}

/** Ends the chosen day in the browser's time zone, as an RFC 3339 UTC timestamp. */
function endOfDay(date: string): string {
  return new Date(`${date}T23:59:59`).toISOString();
}

function CreateKeyDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiKeyScope[]>(["read"]);
  const [expires, setExpires] = useState("");
  const [errors, setErrors] = useState<{ name?: string | undefined; scopes?: string | undefined; expires_at?: string | undefined }>({});
  const create = useMutation({
    mutationFn: async () => {
      return unwrap(await api.POST("/api/v1/api-keys", {
        body: { name: name.trim(), scopes, ...(expires ? { expires_at: endOfDay(expires) } : {}) },
      }));
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: settingsKeys.apiKeys }),
    onError: (error) => {
      if (error instanceof ApiError) {
        const server = error.fieldErrors;
        setErrors({ name: server.name, scopes: server.scopes, expires_at: server.expires_at });
      }
    },
  });

  function close(next: boolean) {
    onOpenChange(next);
    if (!next) {
      setName("");
      setScopes(["read"]);
      setExpires("");
      setErrors({});
      create.reset();
    }
  }

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const next: typeof errors = {};
    if (name.trim() === "") next.name = t("settings.apiKeys.errors.nameRequired");
    if (scopes.length === 0) next.scopes = t("settings.apiKeys.errors.scopesRequired");
    if (expires && new Date(endOfDay(expires)).getTime() <= Date.now()) next.expires_at = t("settings.apiKeys.errors.expiresPast");
    setErrors(next);
    if (Object.keys(next).length === 0) create.mutate();
  }

  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent closeLabel={t("common.close")}>
        {create.data ? (
          <CreatedKey created={create.data} onDone={() => {
            close(false);
          }} />
        ) : (
          <>
            <DialogTitle>{t("settings.apiKeys.createTitle")}</DialogTitle>
            <DialogDescription>{t("settings.apiKeys.createDescription")}</DialogDescription>
            <form noValidate onSubmit={submit} className="flex flex-col gap-4">
              {create.isError ? <ErrorAlert error={create.error} title={t("settings.apiKeys.createFailed")} /> : null}
              <Field label={t("settings.apiKeys.name")} error={errors.name}>
                {(props) => (
                  <Input
                    {...props}
                    maxLength={100}
                    value={name}
                    onChange={(event) => {
                      setName(event.target.value);
                    }}
                  />
                )}
              </Field>
              <fieldset className="flex flex-col gap-2" aria-describedby={errors.scopes ? "scopes-error" : undefined}>
                <legend className="mb-2 text-sm font-medium">{t("settings.apiKeys.scopes")}</legend>
                {apiKeyScopes.map((scope) => (
                  <label key={scope} className="flex items-start gap-2 text-sm">
                    <input
                      type="checkbox"
                      className="mt-0.5 size-4 accent-primary"
                      checked={scopes.includes(scope)}
                      onChange={(event) => {
                        setScopes((current) =>
                          event.target.checked ? [...current, scope] : current.filter((s) => s !== scope),
                        );
                      }}
                    />
                    <span>
                      <span className="font-medium">{t(`settings.apiKeys.scope.${scope}`)}</span>
                      <span className="block text-xs text-muted-foreground">{t(`settings.apiKeys.scopeHint.${scope}`)}</span>
                    </span>
                  </label>
                ))}
                {errors.scopes ? (
                  <p id="scopes-error" className="text-sm text-destructive">
                    {errors.scopes}
                  </p>
                ) : null}
              </fieldset>
              <Field label={t("settings.apiKeys.expiresOptional")} hint={t("settings.apiKeys.expiresHint")} error={errors.expires_at}>
                {(props) => (
                  <Input
                    {...props}
                    type="date"
                    value={expires}
                    onChange={(event) => {
                      setExpires(event.target.value);
                    }}
                  />
                )}
              </Field>
              <DialogFooter>
                <Button
                  variant="outline"
                  onClick={() => {
                    close(false);
                  }}
                >
                  {t("common.cancel")}
                </Button>
                <Button type="submit" disabled={create.isPending}>
                  {t("settings.apiKeys.create")}
                </Button>
              </DialogFooter>
            </form>
          </>
        )}
      </DialogContent>
    </Dialog>
  );
}

function CreatedKey({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  const { t } = useTranslation();
  return (
    <>
      <DialogTitle>{t("settings.apiKeys.createdTitle", { name: created.name })}</DialogTitle>
      <DialogDescription>{t("settings.apiKeys.createdDescription")}</DialogDescription>
      <Alert>
        <TriangleAlertIcon aria-hidden="true" />
        <AlertTitle>{t("settings.apiKeys.onceTitle")}</AlertTitle>
        <AlertDescription>
          <p>{t("settings.apiKeys.onceBody")}</p>
        </AlertDescription>
      </Alert>
      <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
        <code
          data-testid="new-api-key"
          className="min-w-0 flex-1 rounded bg-muted px-2 py-2 font-mono text-xs break-all select-all"
        >
          {created.key}
        </code>
        <CopyButton value={created.key} label={t("settings.apiKeys.copyKey")} />
      </div>
      <DialogFooter>
        <Button onClick={onDone}>{t("settings.apiKeys.done")}</Button>
      </DialogFooter>
    </>
  );
}
