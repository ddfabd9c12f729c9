import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ArrowLeftIcon } from "lucide-react";
import { useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "@/api/client";
import { unwrap } from "@/api/unwrap";
import { ErrorAlert, Field } from "@/components/form";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { connectionKeys, connectionQuery, directionOf, type Config, type Connection, type ConnectionType } from "./api";
import { DirectionBadge, TestButton, TypeIcon } from "./common";
import { asSchema, changedTargets, hasMaskedSecret, initialValue, maskedSecretPaths, prune, validate } from "./schema";
import { SchemaForm, type FieldErrors } from "./SchemaForm";

/** Picks the type of a new connection among the types this server offers. */
export function TypePicker({ types, onPick }: { types: ConnectionType[]; onPick: (type: ConnectionType) => void }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="type-picker-heading" className="flex flex-col gap-3">
      <h2 id="type-picker-heading" className="text-lg font-semibold">
        {t("connections.form.pickType")}
      </h2>
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {types.map((type) => (
          <li key={type.name}>
            <button
              type="button"
              className="flex w-full items-center gap-3 rounded-lg border bg-card p-4 text-left transition-colors hover:bg-accent focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
              onClick={() => {
                onPick(type);
              }}
            >
              <span className="flex size-9 items-center justify-center rounded-md bg-muted">
                <TypeIcon type={type.name} className="size-5" />
              </span>
              <span className="flex min-w-0 flex-1 flex-col gap-1">
                <span className="font-medium">{type.label}</span>
                <span>
                  <DirectionBadge direction={directionOf(type.capabilities)} />
                </span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * The form of a connection: its name and the config generated from its type's schema, with a Test
 * button. `connection` is set when editing: secrets then stay masked unless a new value is typed.
 */
export function ConnectionForm({
  type,
  connection,
  onSaved,
  onBack,
}: {
  type: ConnectionType;
  connection?: Connection | undefined;
  onSaved: (saved: Connection) => void;
  onBack?: (() => void) | undefined;
}) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const schema = asSchema(type.config_schema);
  const editing = connection !== undefined;
  const [name, setName] = useState(connection?.name ?? "");
  const [config, setConfig] = useState<Config>(() => (connection ? { ...connection.config } : initialValue(schema)));
  const [dirty, setDirty] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});

  const save = useMutation({
    mutationFn: async () => {
      const body = { name: name.trim(), config: prune(config) as Config };
      if (connection) {
        return unwrap(await api.PATCH("/api/v1/connections/{id}", {
          params: { path: { id: connection.id } },
          body,
        }));
      }
      return unwrap(await api.POST("/api/v1/connections", { body: { ...body, type: type.name } }));
    },
    onSuccess: async (saved) => {
      queryClient.setQueryData(connectionQuery(saved.id).queryKey, saved);
      await queryClient.invalidateQueries({ queryKey: connectionKeys.all });
      onSaved(saved);
    },
    onError: (error) => {
      if (error instanceof ApiError) setErrors(error.fieldErrors);
    },
  });

  // Pointed elsewhere, a saved connection keeps none of its secrets: the server refuses masked ones.
  const movedTargets = connection ? changedTargets(schema, connection.config, config) : [];

  function clientErrors(withName: boolean): FieldErrors {
    const out: FieldErrors = {};
    if (withName && name.trim() === "") out.name = t("connections.form.required");
    for (const [path, problem] of Object.entries(validate(schema, config))) {
      out[path] = problem === "json" ? t("connections.form.invalidJson") : t("connections.form.required");
    }
    if (movedTargets.length > 0) {
      for (const path of maskedSecretPaths(config)) out[path] = t("connections.form.reenter");
    }
    return out;
  }

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const next = clientErrors(true);
    setErrors(next);
    if (Object.keys(next).length === 0) save.mutate();
  }

  // A saved connection's secrets are masked here: with them, only the saved settings can be tested.
  const testsSaved = editing && (!dirty || hasMaskedSecret(config));

  return (
    <form noValidate onSubmit={submit} className="flex max-w-2xl flex-col gap-6" aria-label={t("connections.form.title")}>
      <div className="flex flex-wrap items-center gap-3">
        <span className="flex size-9 items-center justify-center rounded-md bg-muted">
          <TypeIcon type={type.name} className="size-5" />
        </span>
        <span className="font-medium">{type.label}</span>
        <DirectionBadge direction={directionOf(type.capabilities)} />
        {onBack ? (
          <Button type="button" variant="ghost" size="sm" onClick={onBack}>
            <ArrowLeftIcon aria-hidden="true" />
            {t("connections.form.changeType")}
          </Button>
        ) : null}
      </div>
      {save.isError ? <ErrorAlert error={save.error} title={t("connections.form.saveFailed")} /> : null}
      <Field label={t("connections.form.name")} error={errors.name}>
        {(props) => (
          <Input
            {...props}
            required
            maxLength={100}
            value={name}
            onChange={(event) => {
              setName(event.target.value);
            }}
          />
        )}
      </Field>
      <SchemaForm
        schema={schema}
        value={config}
        errors={errors}
        editing={editing}
        onChange={(next) => {
          setConfig(next);
          setDirty(true);
        }}
      />
      {movedTargets.length > 0 && hasMaskedSecret(config) ? (
        <p role="status" className="rounded-md border border-warning/50 bg-warning/10 p-3 text-sm">
          {t("connections.form.retargeted", { fields: movedTargets.map((path) => path.replace(/^config\./, "")).join(", ") })}
        </p>
      ) : null}
      {errors.config ? (
        <p role="alert" className="text-sm text-destructive">
          {errors.config}
        </p>
      ) : null}
      {editing && dirty && testsSaved ? (
        <p className="text-xs text-muted-foreground">{t("connections.test.savedOnly")}</p>
      ) : null}
      <TestButton
        target={() => {
          if (connection && testsSaved) return { id: connection.id };
          const found = clientErrors(false);
          if (Object.keys(found).length > 0) {
            setErrors(found);
            return null;
          }
          return { type: type.name, config: prune(config) as Config };
        }}
      />
      <div className="flex gap-2 border-t pt-4">
        <Button type="submit" disabled={save.isPending}>
          {editing ? t("common.save") : t("connections.form.create")}
        </Button>
      </div>
    </form>
  );
}
