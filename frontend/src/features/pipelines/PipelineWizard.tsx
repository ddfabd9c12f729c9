import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate, useParams } from "@tanstack/react-router";
import { ArrowLeftIcon, ArrowRightIcon, CheckIcon, PlusIcon, RefreshCwIcon, SaveIcon, Trash2Icon, TriangleAlertIcon } from "lucide-react";
import { useEffect, useId, useMemo, useRef, useState, type ComponentProps, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, type Schemas } from "@/api/client";
import { ErrorAlert, Field } from "@/components/form";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input, Label, NativeSelect } from "@/components/ui/input";
import { useHasRole } from "@/features/auth/hooks";
import {
  catalogQuery,
  connectionsQuery,
  connectionTypesQuery,
  fetchCatalog,
  type Catalog,
  type Connection,
} from "@/features/connections/api";
import { EmptyState, Loading, NeedsRole } from "@/features/settings/common";
import { cn } from "@/lib/utils";
import { createPipeline, pipelineQuery, pipelinesQuery, updatePipeline, type Pipeline } from "./api";
import {
  buildConfig,
  columnsOf,
  contractKeys,
  contractModes,
  dispositions,
  emptyForm,
  filterOps,
  formFromConfig,
  formFromPipeline,
  incrementalAllowed,
  localErrors,
  modeOf,
  namings,
  rowOrders,
  snakeCase,
  splitTable,
  stepOfField,
  steps,
  verifyModes,
  type Config,
  type FormState,
  type Step,
} from "./config";

export function NewPipelinePage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const canEdit = useHasRole("editor");
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={t("pipelines.newTitle")} description={t("pipelines.newDescription")} eyebrow={t("nav.pipelines")} />
      {canEdit ? (
        <WizardData
          initial={emptyForm()}
          onSaved={(saved) => {
            void navigate({ to: "/pipelines/$pipelineId", params: { pipelineId: saved.id } });
          }}
        />
      ) : (
        <NeedsRole role="editor" what={t("pipelines.editorOnly")} />
      )}
    </div>
  );
}

export function EditPipelinePage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { pipelineId } = useParams({ strict: false });
  const canEdit = useHasRole("editor");
  const pipeline = useQuery(pipelineQuery(pipelineId ?? 0));
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={pipeline.data ? t("pipelines.editTitle", { name: pipeline.data.name }) : t("pipelines.edit")}
        description={t("pipelines.editDescription")}
        eyebrow={t("nav.pipelines")}
      />
      {!canEdit ? (
        <NeedsRole role="editor" what={t("pipelines.editorOnly")} />
      ) : pipeline.isPending ? (
        <Loading />
      ) : pipeline.isError ? (
        <ErrorAlert error={pipeline.error} title={t("pipelines.loadOneFailed")} />
      ) : (
        <WizardData
          initial={formFromPipeline(pipeline.data)}
          pipeline={pipeline.data}
          onSaved={(saved) => {
            void navigate({ to: "/pipelines/$pipelineId", params: { pipelineId: saved.id } });
          }}
        />
      )}
    </div>
  );
}

/** Loads the connections and their types, which every step needs. */
function WizardData(props: { initial: FormState; pipeline?: Pipeline; onSaved: (saved: Pipeline) => void }) {
  const { t } = useTranslation();
  const connections = useQuery(connectionsQuery);
  const types = useQuery(connectionTypesQuery);
  if (connections.isPending || types.isPending) return <Loading />;
  if (connections.isError) return <ErrorAlert error={connections.error} title={t("connections.loadFailed")} />;
  if (types.isError) return <ErrorAlert error={types.error} title={t("connections.typesFailed")} />;
  const capabilities = new Map(types.data.map((type) => [type.name, type.capabilities]));
  const sources = connections.data.filter((c) => capabilities.get(c.type)?.source === true);
  const destinations = connections.data.filter((c) => capabilities.get(c.type)?.destination === true);
  return <PipelineWizard {...props} sources={sources} destinations={destinations} />;
}

type Errors = Record<string, string>;

/** The message for a field path or anything under it (`config.filters[0]` covers `config.filters[0].value`). */
function errorAt(errors: Errors, path: string, exact = false): string | undefined {
  if (errors[path] !== undefined) return errors[path];
  if (exact) return undefined;
  for (const [field, message] of Object.entries(errors)) {
    if (field.startsWith(`${path}.`) || field.startsWith(`${path}[`)) return message;
  }
  return undefined;
}

/** Fields a step shows next to their control; other errors are listed at the top of the step. */
const placed = [
  /^(name|description|source_connection_id|destination_connection_id|destination_schema)$/,
  /^config\.(mode|table|table_names|source_schema)(\W|$)/,
  /^config\.(write_disposition|primary_key|merge_config|incremental|schema_contract|filters|batch_size|verify|naming)(\W|$)/,
];

export function PipelineWizard({
  initial,
  pipeline,
  sources,
  destinations,
  onSaved,
}: {
  initial: FormState;
  pipeline?: Pipeline | undefined;
  sources: Connection[];
  destinations: Connection[];
  onSaved: (saved: Pipeline) => void;
}) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FormState>(initial);
  const [step, setStep] = useState<Step>("source");
  const [visited, setVisited] = useState<ReadonlySet<Step>>(new Set<Step>(pipeline ? steps : ["source"]));
  const [shown, setShown] = useState<Errors>({});
  const [raw, setRaw] = useState<{ text: string; error: string | null } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const catalog = useQuery({ ...catalogQuery(form.sourceId ?? 0), enabled: form.sourceId !== null });
  const index = steps.indexOf(step);

  useEffect(() => {
    heading.current?.focus();
  }, [step]);

  const columnTypes = useMemo(() => {
    const types = new Map<string, string>();
    for (const table of form.tables) for (const column of columnsOf(catalog.data, table)) types.set(column.name, column.type);
    return types;
  }, [catalog.data, form.tables]);

  const update = (patch: Partial<FormState>) => {
    setForm((current) => ({ ...current, ...patch }));
  };

  /** The config to send: the raw JSON when it is being edited, else the form's. */
  const configNow = (): { config: Config } | { error: string } => {
    if (raw) {
      try {
        const parsed: unknown = JSON.parse(raw.text);
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { error: t("pipelines.wizard.rawNotObject") };
        return { config: parsed as Config };
      } catch (error) {
        return { error: t("pipelines.wizard.rawInvalid", { reason: error instanceof Error ? error.message : "" }) };
      }
    }
    return { config: buildConfig(form, columnTypes) };
  };

  const body = (config: Config) => {
    const common = {
      name: form.name.trim(),
      description: form.description,
      source_connection_id: form.sourceId ?? 0,
      destination_connection_id: form.destinationId ?? 0,
      config,
    };
    if (pipeline) return common;
    return form.destinationSchema.trim() ? { ...common, destination_schema: form.destinationSchema.trim() } : common;
  };

  const save = useMutation({
    mutationFn: (config: Config) => (pipeline ? updatePipeline(pipeline.id, body(config)) : createPipeline(body(config))),
    onSuccess: async (saved) => {
      queryClient.setQueryData(pipelineQuery(saved.id).queryKey, saved);
      await queryClient.invalidateQueries({ queryKey: pipelinesQuery.queryKey });
      onSaved(saved);
    },
    onError: (error) => {
      if (!(error instanceof ApiError) || error.status !== 422) return;
      const fields = error.fieldErrors;
      setShown(fields);
      // Go to the first step that shows one of the API's complaints.
      const first = steps.find((candidate) => Object.keys(fields).some((field) => stepOfField(field) === candidate));
      if (first && first !== "review") setStep(first);
    },
  });

  const messages = (key: string) => t(`pipelines.wizard.errors.${key}` as "pipelines.wizard.errors.required");

  const go = (target: Step) => {
    setStep(target);
    setVisited((current) => new Set([...current, target]));
  };

  const next = () => {
    if (step === "loading" && raw) {
      const result = configNow();
      if ("error" in result) {
        setRaw({ ...raw, error: result.error });
        return;
      }
    }
    const found = raw && step === "loading" ? {} : localErrors(form, step, messages);
    // Keep the API's errors of other steps; replace this step's with what the form found now.
    const kept = Object.fromEntries(Object.entries(shown).filter(([field]) => stepOfField(field) !== step));
    setShown({ ...kept, ...found });
    if (Object.keys(found).length > 0) return;
    const following = steps[index + 1];
    if (following) go(following);
  };

  const stepErrors = Object.entries(shown).filter(([field]) => stepOfField(field) === step);
  const unplaced = stepErrors.filter(([field]) => !placed.some((pattern) => pattern.test(field)));

  return (
    <div className="flex flex-col gap-6">
      <nav aria-label={t("pipelines.wizard.steps")}>
        <ol className="flex flex-wrap gap-2">
          {steps.map((name, i) => {
            const current = name === step;
            const reachable = visited.has(name) && !current;
            const hasErrors = Object.keys(shown).some((field) => stepOfField(field) === name);
            return (
              <li key={name}>
                <button
                  type="button"
                  disabled={!reachable}
                  aria-current={current ? "step" : undefined}
                  onClick={() => {
                    go(name);
                  }}
                  className={cn(
                    "flex items-center gap-2 rounded-full border px-3 py-1 text-sm outline-none focus-visible:ring-2 focus-visible:ring-ring disabled:cursor-default",
                    current ? "border-primary bg-primary text-primary-foreground" : "hover:bg-accent",
                    !current && !visited.has(name) && "text-muted-foreground",
                    hasErrors && !current && "border-destructive text-destructive",
                  )}
                >
                  <span aria-hidden="true" className="tabular-nums">
                    {i + 1}
                  </span>
                  {t(`pipelines.wizard.step.${name}`)}
                  {hasErrors ? <TriangleAlertIcon aria-label={t("pipelines.wizard.hasErrors")} className="size-3.5" /> : null}
                </button>
              </li>
            );
          })}
        </ol>
      </nav>

      <Card>
        <CardHeader>
          <CardTitle>
            <span ref={heading} tabIndex={-1} className="outline-none">
              {t("pipelines.wizard.stepTitle", { n: index + 1, total: steps.length, name: t(`pipelines.wizard.step.${step}`) })}
            </span>
          </CardTitle>
          <CardDescription>{t(`pipelines.wizard.hint.${step}`)}</CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col gap-5">
          {unplaced.length > 0 ? (
            <Alert variant="destructive" role="alert">
              <TriangleAlertIcon aria-hidden="true" />
              <AlertTitle>{t("pipelines.wizard.fix")}</AlertTitle>
              <AlertDescription>
                <ul className="list-disc pl-4">
                  {unplaced.map(([field, message]) => (
                    <li key={field}>
                      <code>{field}</code> {message}
                    </li>
                  ))}
                </ul>
              </AlertDescription>
            </Alert>
          ) : null}
          {step === "source" ? <SourceStep form={form} update={update} errors={shown} sources={sources} /> : null}
          {step === "tables" ? <TablesStep form={form} update={update} errors={shown} catalog={catalog} /> : null}
          {step === "destination" ? (
            <DestinationStep form={form} update={update} errors={shown} destinations={destinations} editing={pipeline !== undefined} />
          ) : null}
          {step === "loading" ? (
            <div className="flex flex-col gap-5">
              <label className="flex items-center gap-2 self-start text-sm">
                <input
                  type="checkbox"
                  className="size-4"
                  checked={raw !== null}
                  onChange={(event) => {
                    if (event.target.checked) {
                      setRaw({ text: JSON.stringify(buildConfig(form, columnTypes), null, 2), error: null });
                      return;
                    }
                    if (!raw) return;
                    const result = configNow();
                    if ("error" in result) {
                      setRaw({ ...raw, error: result.error });
                      return;
                    }
                    setForm((current) => ({ ...formFromConfig(result.config, current) }));
                    setRaw(null);
                  }}
                />
                {t("pipelines.wizard.rawToggle")}
              </label>
              {raw ? (
                <Field label={t("pipelines.wizard.rawLabel")} hint={t("pipelines.wizard.rawHint")} error={raw.error ?? undefined}>
                  {(props) => (
                    <textarea
                      {...props}
                      spellCheck={false}
                      rows={18}
                      value={raw.text}
                      onChange={(event) => {
                        setRaw({ text: event.target.value, error: null });
                      }}
                      className="w-full rounded-md border bg-background p-3 font-mono text-xs outline-none focus-visible:ring-2 focus-visible:ring-ring aria-invalid:border-destructive"
                    />
                  )}
                </Field>
              ) : (
                <LoadingStep form={form} update={update} errors={shown} catalog={catalog.data} />
              )}
            </div>
          ) : null}
          {step === "review" ? (
            <ReviewStep
              form={form}
              pipeline={pipeline}
              sources={sources}
              destinations={destinations}
              config={configNow()}
              body={body}
              errors={shown}
              saveError={save.error instanceof ApiError && save.error.status === 422 ? null : save.error}
            />
          ) : null}
        </CardContent>
      </Card>

      <div className="flex flex-wrap justify-between gap-2">
        <Button
          variant="outline"
          disabled={index === 0}
          onClick={() => {
            const previous = steps[index - 1];
            if (previous) go(previous);
          }}
        >
          <ArrowLeftIcon aria-hidden="true" />
          {t("pipelines.wizard.back")}
        </Button>
        {step === "review" ? (
          <Button
            disabled={save.isPending}
            onClick={() => {
              const result = configNow();
              if ("error" in result) {
                setShown({ config: result.error });
                return;
              }
              save.mutate(result.config);
            }}
          >
            <SaveIcon aria-hidden="true" />
            {save.isPending ? t("pipelines.wizard.saving") : pipeline ? t("pipelines.wizard.saveChanges") : t("pipelines.wizard.create")}
          </Button>
        ) : (
          <Button onClick={next}>
            {t("pipelines.wizard.next")}
            <ArrowRightIcon aria-hidden="true" />
          </Button>
        )}
      </div>
    </div>
  );
}

type StepProps = { form: FormState; update: (patch: Partial<FormState>) => void; errors: Errors };

function SourceStep({ form, update, errors, sources }: StepProps & { sources: Connection[] }) {
  const { t } = useTranslation();
  return (
    <>
      <Field label={t("pipelines.wizard.name")} error={errorAt(errors, "name")}>
        {(props) => (
          <Input
            {...props}
            value={form.name}
            maxLength={100}
            onChange={(event) => {
              update({ name: event.target.value });
            }}
          />
        )}
      </Field>
      <Field label={t("pipelines.wizard.description")} error={errorAt(errors, "description")}>
        {(props) => (
          <Input
            {...props}
            value={form.description}
            maxLength={2000}
            onChange={(event) => {
              update({ description: event.target.value });
            }}
          />
        )}
      </Field>
      {sources.length === 0 ? (
        <EmptyState>{t("pipelines.wizard.noSources")}</EmptyState>
      ) : (
        <Field label={t("pipelines.wizard.source")} hint={t("pipelines.wizard.sourceHint")} error={errorAt(errors, "source_connection_id")}>
          {(props) => (
            <NativeSelect
              {...props}
              value={form.sourceId ?? ""}
              onChange={(event) => {
                const id = event.target.value ? Number(event.target.value) : null;
                // Tables, keys and filters belong to the old source.
                if (id !== form.sourceId) update({ sourceId: id, tables: [], wholeSchema: null, primaryKeys: {}, filters: [] });
              }}
            >
              <option value="">{t("pipelines.wizard.choose")}</option>
              {sources.map((connection) => (
                <option key={connection.id} value={connection.id}>
                  {connection.name} ({connection.type})
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      )}
    </>
  );
}

function TablesStep({
  form,
  update,
  errors,
  catalog,
}: StepProps & { catalog: ReturnType<typeof useQuery<Catalog>> }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const selectAllId = useId();
  const refresh = useMutation({
    mutationFn: () => fetchCatalog(form.sourceId ?? 0, true),
    onSuccess: (data) => {
      queryClient.setQueryData(catalogQuery(form.sourceId ?? 0).queryKey, data);
    },
  });
  if (form.sourceId === null) return <EmptyState>{t("pipelines.wizard.pickSourceFirst")}</EmptyState>;
  if (catalog.isPending) return <Loading />;
  if (catalog.isError) return <ErrorAlert error={catalog.error} title={t("pipelines.wizard.catalogFailed")} />;
  const all = catalog.data.schemas.flatMap((schema) => schema.tables.map((table) => ({ schema: schema.name, table })));
  const selected = new Set(
    form.wholeSchema !== null ? all.filter((entry) => entry.schema === form.wholeSchema).map((e) => `${e.schema}.${e.table.name}`) : form.tables,
  );
  const needle = search.trim().toLowerCase();
  const visible = all.filter((entry) => `${entry.schema}.${entry.table.name}`.toLowerCase().includes(needle));
  const visibleNames = visible.map((entry) => `${entry.schema}.${entry.table.name}`);
  const allVisibleSelected = visibleNames.length > 0 && visibleNames.every((name) => selected.has(name));
  const someVisibleSelected = visibleNames.some((name) => selected.has(name));
  const set = (names: Set<string>) => {
    const keys = Object.fromEntries(Object.entries(form.primaryKeys).filter(([table]) => names.has(table)));
    update({ tables: [...names], wholeSchema: null, primaryKeys: keys });
  };
  const tableError = errorAt(errors, "config.table_names") ?? errorAt(errors, "config.table") ?? errorAt(errors, "config.source_schema") ?? errorAt(errors, "config.mode");
  const schemas = [...new Set(visible.map((entry) => entry.schema))];
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-col gap-2 sm:flex-row sm:items-end">
        <div className="flex-1">
          <Field label={t("pipelines.wizard.searchTables")}>
            {(props) => (
              <Input
                {...props}
                type="search"
                value={search}
                onChange={(event) => {
                  setSearch(event.target.value);
                }}
              />
            )}
          </Field>
        </div>
        <Button
          variant="outline"
          disabled={refresh.isPending}
          onClick={() => {
            refresh.mutate();
          }}
        >
          <RefreshCwIcon aria-hidden="true" className={refresh.isPending ? "animate-spin" : undefined} />
          {refresh.isPending ? t("pipelines.wizard.refreshing") : t("pipelines.wizard.refreshCatalog")}
        </Button>
      </div>
      {refresh.isError ? <ErrorAlert error={refresh.error} title={t("pipelines.wizard.catalogFailed")} /> : null}
      {all.length === 0 ? (
        <EmptyState>{t("pipelines.wizard.noTables")}</EmptyState>
      ) : (
        <>
          <div className="flex items-center justify-between gap-2 border-b pb-2">
            <span className="flex items-center gap-2">
              <input
                id={selectAllId}
                type="checkbox"
                className="size-4"
                checked={allVisibleSelected}
                ref={(element) => {
                  if (element) element.indeterminate = someVisibleSelected && !allVisibleSelected;
                }}
                disabled={visibleNames.length === 0}
                onChange={() => {
                  const names = new Set(selected);
                  for (const name of visibleNames) {
                    if (allVisibleSelected) names.delete(name);
                    else names.add(name);
                  }
                  set(names);
                }}
              />
              <Label htmlFor={selectAllId}>{t("pipelines.wizard.selectAll", { count: visibleNames.length })}</Label>
            </span>
            <span className="text-sm text-muted-foreground" aria-live="polite">
              {t("pipelines.wizard.selectedCount", { count: selected.size })}
            </span>
          </div>
          {visible.length === 0 ? <p className="text-sm text-muted-foreground">{t("pipelines.wizard.noMatch")}</p> : null}
          {schemas.map((schema) => (
            <fieldset key={schema} className="flex flex-col gap-1">
              <legend className="mb-1 font-mono text-xs font-medium text-muted-foreground">{schema}</legend>
              <ul aria-label={t("pipelines.wizard.tablesOf", { schema })} className="grid gap-1 sm:grid-cols-2 lg:grid-cols-3">
                {visible
                  .filter((entry) => entry.schema === schema)
                  .map(({ table }) => {
                    const name = `${schema}.${table.name}`;
                    return (
                      <li key={name}>
                        <label className="flex items-center gap-2 rounded px-2 py-1 text-sm hover:bg-accent">
                          <input
                            type="checkbox"
                            className="size-4"
                            aria-label={name}
                            checked={selected.has(name)}
                            onChange={() => {
                              const names = new Set(selected);
                              if (names.has(name)) names.delete(name);
                              else names.add(name);
                              set(names);
                            }}
                          />
                          <span className="font-mono">{table.name}</span>
                          {table.kind === "view" ? <span className="text-xs text-muted-foreground">{t("pipelines.wizard.view")}</span> : null}
                          <span className="ml-auto text-xs text-muted-foreground">{t("pipelines.wizard.columnCount", { count: table.columns.length })}</span>
                        </label>
                      </li>
                    );
                  })}
              </ul>
            </fieldset>
          ))}
        </>
      )}
      {tableError ? (
        <p role="alert" className="text-sm text-destructive">
          {tableError}
        </p>
      ) : null}
    </div>
  );
}

function DestinationStep({
  form,
  update,
  errors,
  destinations,
  editing,
}: StepProps & { destinations: Connection[]; editing: boolean }) {
  const { t } = useTranslation();
  const fallback = snakeCase(form.name.trim() || "pipeline");
  return (
    <>
      {destinations.length === 0 ? (
        <EmptyState>{t("pipelines.wizard.noDestinations")}</EmptyState>
      ) : (
        <Field label={t("pipelines.wizard.destination")} error={errorAt(errors, "destination_connection_id")}>
          {(props) => (
            <NativeSelect
              {...props}
              value={form.destinationId ?? ""}
              onChange={(event) => {
                update({ destinationId: event.target.value ? Number(event.target.value) : null });
              }}
            >
              <option value="">{t("pipelines.wizard.choose")}</option>
              {destinations.map((connection) => (
                <option key={connection.id} value={connection.id}>
                  {connection.name} ({connection.type})
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      )}
      <Field
        label={t("pipelines.wizard.schema")}
        hint={editing ? t("pipelines.wizard.schemaFixed") : t("pipelines.wizard.schemaHint", { schema: fallback })}
        error={errorAt(errors, "destination_schema")}
      >
        {(props) => (
          <Input
            {...props}
            className="font-mono"
            value={editing ? form.destinationSchema : form.destinationSchema}
            placeholder={fallback}
            readOnly={editing}
            disabled={editing}
            maxLength={63}
            onChange={(event) => {
              update({ destinationSchema: event.target.value });
            }}
          />
        )}
      </Field>
    </>
  );
}

function ColumnSelect({
  columns,
  value,
  onChange,
  controlProps,
  allowEmpty,
}: {
  columns: Schemas["CatalogColumn"][];
  value: string;
  onChange: (value: string) => void;
  controlProps: { id: string; "aria-invalid": boolean | undefined; "aria-describedby": string | undefined };
  allowEmpty: string;
}) {
  // A column the catalog no longer lists stays selectable, so a stored config is shown as it is.
  const names = columns.map((column) => column.name);
  return (
    <NativeSelect
      {...controlProps}
      value={value}
      onChange={(event) => {
        onChange(event.target.value);
      }}
    >
      <option value="">{allowEmpty}</option>
      {value && !names.includes(value) ? <option value={value}>{value}</option> : null}
      {columns.map((column) => (
        <option key={column.name} value={column.name}>
          {column.name} ({column.type})
        </option>
      ))}
    </NativeSelect>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="flex flex-col gap-3 rounded-lg border p-4">
      <legend className="px-1 text-sm font-semibold">{title}</legend>
      {children}
    </fieldset>
  );
}

function LoadingStep({ form, update, errors, catalog }: StepProps & { catalog: Catalog | undefined }) {
  const { t } = useTranslation();
  const mode = modeOf(form);
  const tables = form.wholeSchema !== null ? [] : form.tables;
  const single = tables.length === 1 ? (tables[0] ?? "") : null;
  const singleColumns = single ? columnsOf(catalog, single) : [];
  const allColumns = [...new Map(tables.flatMap((table) => columnsOf(catalog, table)).map((c) => [c.name, c])).values()];
  const dispositionId = useId();

  const setDisposition = (disposition: FormState["disposition"]) => {
    const primaryKeys = { ...form.primaryKeys };
    if (disposition === "merge") {
      // Start from the source's primary keys.
      for (const table of tables) {
        if ((primaryKeys[table] ?? []).length === 0) {
          const pk = columnsOf(catalog, table).filter((column) => column.primary_key).map((column) => column.name);
          if (pk.length > 0) primaryKeys[table] = pk;
        }
      }
    }
    update({ disposition, primaryKeys });
  };

  const mergeError = (table: string) =>
    mode === "single_table"
      ? errorAt(errors, "config.primary_key")
      : errorAt(errors, `config.merge_config.${splitTable(table)[1]}`);

  return (
    <div className="flex flex-col gap-5">
      <Section title={t("pipelines.wizard.disposition")}>
        <div role="radiogroup" aria-labelledby={dispositionId} className="grid gap-2 sm:grid-cols-3">
          <span id={dispositionId} className="sr-only">
            {t("pipelines.wizard.disposition")}
          </span>
          {dispositions.map((value) => (
            <div
              key={value}
              className={cn(
                "flex flex-col gap-1 rounded-md border p-3 text-sm has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-ring",
                form.disposition === value && "border-primary bg-accent",
              )}
            >
              <label className="flex cursor-pointer items-center gap-2 font-medium">
                <input
                  type="radio"
                  name="write_disposition"
                  value={value}
                  aria-describedby={`${dispositionId}-${value}`}
                  checked={form.disposition === value}
                  onChange={() => {
                    setDisposition(value);
                  }}
                />
                {t(`pipelines.wizard.dispositions.${value}`)}
              </label>
              <span id={`${dispositionId}-${value}`} className="text-xs text-muted-foreground">
                {t(`pipelines.wizard.dispositionHints.${value}`)}
              </span>
            </div>
          ))}
        </div>
        {errorAt(errors, "config.write_disposition") ? (
          <p className="text-sm text-destructive">{errorAt(errors, "config.write_disposition")}</p>
        ) : null}
        {form.disposition === "merge" ? (
          <div className="flex flex-col gap-3">
            <p className="text-sm text-muted-foreground">
              {mode === "single_table" ? t("pipelines.wizard.keysSingle") : t("pipelines.wizard.keysMany")}
            </p>
            {tables.map((table) => {
              const columns = columnsOf(catalog, table);
              const keys = form.primaryKeys[table] ?? [];
              const names = [...new Set([...columns.map((c) => c.name), ...keys])];
              const error = mergeError(table);
              return (
                <fieldset key={table} className="flex flex-col gap-1" aria-invalid={error ? true : undefined}>
                  <legend className="text-sm font-medium">{t("pipelines.wizard.keysOf", { table })}</legend>
                  <div className="flex flex-wrap gap-x-4 gap-y-1">
                    {names.map((name) => (
                      <label key={name} className="flex items-center gap-1.5 font-mono text-sm">
                        <input
                          type="checkbox"
                          className="size-4"
                          checked={keys.includes(name)}
                          onChange={() => {
                            const nextKeys = keys.includes(name) ? keys.filter((k) => k !== name) : [...keys, name];
                            update({ primaryKeys: { ...form.primaryKeys, [table]: nextKeys } });
                          }}
                        />
                        {name}
                      </label>
                    ))}
                  </div>
                  {error ? <p className="text-sm text-destructive">{error}</p> : null}
                </fieldset>
              );
            })}
            {mode !== "single_table" && errorAt(errors, "config.merge_config", true) ? (
              <p className="text-sm text-destructive">{errorAt(errors, "config.merge_config", true)}</p>
            ) : null}
          </div>
        ) : null}
      </Section>

      <Section title={t("pipelines.wizard.incremental")}>
        {incrementalAllowed(form) ? (
          <>
            <label className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                className="size-4"
                checked={form.incremental.enabled}
                onChange={(event) => {
                  update({ incremental: { ...form.incremental, enabled: event.target.checked } });
                }}
              />
              {t("pipelines.wizard.incrementalEnable")}
            </label>
            {form.incremental.enabled ? (
              <div className="grid gap-4 sm:grid-cols-2">
                <Field label={t("pipelines.wizard.cursor")} error={errorAt(errors, "config.incremental.cursor_path")}>
                  {(props) => (
                    <ColumnSelect
                      controlProps={props}
                      columns={singleColumns}
                      value={form.incremental.cursorPath}
                      allowEmpty={t("pipelines.wizard.choose")}
                      onChange={(cursorPath) => {
                        update({ incremental: { ...form.incremental, cursorPath } });
                      }}
                    />
                  )}
                </Field>
                <Field
                  label={t("pipelines.wizard.initialValue")}
                  hint={t("pipelines.wizard.initialValueHint")}
                  error={errorAt(errors, "config.incremental.initial_value")}
                >
                  {(props) => (
                    <Input
                      {...props}
                      value={form.incremental.initialValue}
                      onChange={(event) => {
                        update({ incremental: { ...form.incremental, initialValue: event.target.value } });
                      }}
                    />
                  )}
                </Field>
                <Field label={t("pipelines.wizard.rowOrder")} error={errorAt(errors, "config.incremental.row_order")}>
                  {(props) => (
                    <EnumSelect
                      {...props}
                      values={rowOrders}
                      value={form.incremental.rowOrder}
                      label={(order) => t(`pipelines.wizard.rowOrders.${order}`)}
                      onValue={(rowOrder) => {
                        update({ incremental: { ...form.incremental, rowOrder } });
                      }}
                    />
                  )}
                </Field>
                <Field label={t("pipelines.wizard.lag")} hint={t("pipelines.wizard.lagHint")} error={errorAt(errors, "config.incremental.lag")}>
                  {(props) => (
                    <Input
                      {...props}
                      value={form.incremental.lag}
                      onChange={(event) => {
                        update({ incremental: { ...form.incremental, lag: event.target.value } });
                      }}
                    />
                  )}
                </Field>
              </div>
            ) : null}
            {errorAt(errors, "config.incremental", true) ? (
              <p className="text-sm text-destructive">{errorAt(errors, "config.incremental", true)}</p>
            ) : null}
          </>
        ) : (
          <p className="text-sm text-muted-foreground">
            {form.disposition === "replace" ? t("pipelines.wizard.incrementalReplace") : t("pipelines.wizard.incrementalOneTable")}
          </p>
        )}
      </Section>

      <Section title={t("pipelines.wizard.contract")}>
        <p className="text-sm text-muted-foreground">{t("pipelines.wizard.contractHint")}</p>
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          <Field label={t("pipelines.wizard.contractAll")}>
            {(props) => {
              const values = contractKeys.map((key) => form.contract[key]);
              const same = values.every((value) => value === values[0]) ? values[0] : "";
              return (
                <NativeSelect
                  {...props}
                  value={same}
                  onChange={(event) => {
                    const value = contractModes.find((mode) => mode === event.target.value);
                    if (value) update({ contract: { tables: value, columns: value, data_type: value } });
                  }}
                >
                  <option value="">{t("pipelines.wizard.contractMixed")}</option>
                  {contractModes.map((value) => (
                    <option key={value} value={value}>
                      {t(`pipelines.wizard.contractModes.${value}`)}
                    </option>
                  ))}
                </NativeSelect>
              );
            }}
          </Field>
          {contractKeys.map((key) => (
            <Field key={key} label={t(`pipelines.wizard.contractKeys.${key}`)} error={errorAt(errors, `config.schema_contract.${key}`)}>
              {(props) => (
                <EnumSelect
                  {...props}
                  values={contractModes}
                  value={form.contract[key]}
                  label={(value) => t(`pipelines.wizard.contractModes.${value}`)}
                  onValue={(value) => {
                    update({ contract: { ...form.contract, [key]: value } });
                  }}
                />
              )}
            </Field>
          ))}
        </div>
        {errorAt(errors, "config.schema_contract", true) ? (
          <p className="text-sm text-destructive">{errorAt(errors, "config.schema_contract", true)}</p>
        ) : null}
      </Section>

      <Section title={t("pipelines.wizard.filters")}>
        <p className="text-sm text-muted-foreground">{t("pipelines.wizard.filtersHint")}</p>
        {form.filters.map((row, i) => {
          const path = `config.filters[${String(i)}]`;
          const setRow = (patch: Partial<FormState["filters"][number]>) => {
            update({ filters: form.filters.map((current, j) => (j === i ? { ...current, ...patch } : current)) });
          };
          const noValue = row.op === "is_null" || row.op === "not_null";
          return (
            <div key={i} role="group" aria-label={t("pipelines.wizard.filterN", { n: i + 1 })} className="grid items-start gap-2 sm:grid-cols-[1fr_10rem_1fr_auto]">
              <Field label={t("pipelines.wizard.filterColumn")} error={errorAt(errors, `${path}.column`)}>
                {(props) => (
                  <ColumnSelect
                    controlProps={props}
                    columns={allColumns}
                    value={row.column}
                    allowEmpty={t("pipelines.wizard.choose")}
                    onChange={(column) => {
                      setRow({ column });
                    }}
                  />
                )}
              </Field>
              <Field label={t("pipelines.wizard.filterOp")} error={errorAt(errors, `${path}.op`)}>
                {(props) => (
                  <EnumSelect
                    {...props}
                    values={filterOps}
                    value={row.op}
                    label={(op) => t(`pipelines.wizard.ops.${op}`)}
                    onValue={(op) => {
                      setRow({ op });
                    }}
                  />
                )}
              </Field>
              <Field
                label={t("pipelines.wizard.filterValue")}
                hint={row.op === "in" || row.op === "not_in" ? t("pipelines.wizard.filterListHint") : undefined}
                error={errorAt(errors, `${path}.value`) ?? errorAt(errors, path, true)}
              >
                {(props) => (
                  <Input
                    {...props}
                    value={noValue ? "" : row.value}
                    disabled={noValue}
                    onChange={(event) => {
                      setRow({ value: event.target.value });
                    }}
                  />
                )}
              </Field>
              <Button
                variant="ghost"
                size="icon"
                className="sm:mt-6"
                aria-label={t("pipelines.wizard.removeFilter", { n: i + 1 })}
                onClick={() => {
                  update({ filters: form.filters.filter((_, j) => j !== i) });
                }}
              >
                <Trash2Icon aria-hidden="true" />
              </Button>
            </div>
          );
        })}
        {errorAt(errors, "config.filters", true) ? (
          <p className="text-sm text-destructive">{errorAt(errors, "config.filters", true)}</p>
        ) : null}
        <div>
          <Button
            variant="outline"
            size="sm"
            onClick={() => {
              update({ filters: [...form.filters, { column: "", op: "eq", value: "" }] });
            }}
          >
            <PlusIcon aria-hidden="true" />
            {t("pipelines.wizard.addFilter")}
          </Button>
        </div>
      </Section>

      <Section title={t("pipelines.wizard.advanced")}>
        <div className="grid gap-4 sm:grid-cols-3">
          <Field label={t("pipelines.wizard.batchSize")} error={errorAt(errors, "config.batch_size")}>
            {(props) => (
              <Input
                {...props}
                inputMode="numeric"
                value={form.batchSize}
                onChange={(event) => {
                  update({ batchSize: event.target.value });
                }}
              />
            )}
          </Field>
          <Field label={t("pipelines.wizard.verify")} error={errorAt(errors, "config.verify")}>
            {(props) => (
              <EnumSelect
                {...props}
                values={verifyModes}
                value={form.verify}
                label={(value) => t(`pipelines.wizard.verifyModes.${value}`)}
                onValue={(verify) => {
                  update({ verify });
                }}
              />
            )}
          </Field>
          <Field label={t("pipelines.wizard.naming")} error={errorAt(errors, "config.naming")}>
            {(props) => (
              <EnumSelect
                {...props}
                values={namings}
                value={form.naming}
                label={(value) => t(`pipelines.wizard.namings.${value}`)}
                onValue={(naming) => {
                  update({ naming });
                }}
              />
            )}
          </Field>
        </div>
      </Section>
    </div>
  );
}

function ReviewStep({
  form,
  pipeline,
  sources,
  destinations,
  config,
  body,
  errors,
  saveError,
}: {
  form: FormState;
  pipeline: Pipeline | undefined;
  sources: Connection[];
  destinations: Connection[];
  config: { config: Config } | { error: string };
  body: (config: Config) => object;
  errors: Errors;
  saveError: unknown;
}) {
  const { t } = useTranslation();
  const source = sources.find((c) => c.id === form.sourceId);
  const destination = destinations.find((c) => c.id === form.destinationId);
  const schema = pipeline ? pipeline.destination_schema : form.destinationSchema.trim() || snakeCase(form.name.trim() || "pipeline");
  const all = Object.entries(errors);
  return (
    <div className="flex flex-col gap-4">
      <dl className="grid gap-3 text-sm sm:grid-cols-2">
        <div>
          <dt className="text-muted-foreground">{t("pipelines.wizard.name")}</dt>
          <dd className="font-medium">{form.name}</dd>
        </div>
        <div>
          <dt className="text-muted-foreground">{t("pipelines.wizard.route")}</dt>
          <dd>
            {source?.name ?? "—"} → {destination?.name ?? "—"}
            <span className="font-mono text-muted-foreground">.{schema}</span>
          </dd>
        </div>
        <div>
          <dt className="text-muted-foreground">{t("pipelines.wizard.step.tables")}</dt>
          <dd className="font-mono text-xs break-words">
            {form.wholeSchema !== null ? t("pipelines.wizard.wholeSchema", { schema: form.wholeSchema }) : form.tables.join(", ")}
          </dd>
        </div>
        <div>
          <dt className="text-muted-foreground">{t("pipelines.wizard.disposition")}</dt>
          <dd>{t(`pipelines.wizard.dispositions.${form.disposition}`)}</dd>
        </div>
      </dl>
      {all.length > 0 ? (
        <Alert variant="destructive" role="alert">
          <TriangleAlertIcon aria-hidden="true" />
          <AlertTitle>{t("pipelines.wizard.fix")}</AlertTitle>
          <AlertDescription>
            <ul className="list-disc pl-4">
              {all.map(([field, message]) => (
                <li key={field}>
                  <code>{field}</code> {message}
                </li>
              ))}
            </ul>
          </AlertDescription>
        </Alert>
      ) : null}
      {saveError ? <ErrorAlert error={saveError} title={t("pipelines.wizard.saveFailed")} /> : null}
      {"error" in config ? (
        <p className="text-sm text-destructive">{config.error}</p>
      ) : (
        <div className="flex flex-col gap-2">
          <h3 className="text-sm font-medium">{t("pipelines.wizard.request")}</h3>
          <pre data-testid="pipeline-request" className="max-h-96 overflow-auto rounded-md border bg-muted/40 p-3 font-mono text-xs">
            {JSON.stringify(body(config.config), null, 2)}
          </pre>
        </div>
      )}
      {!pipeline ? (
        <p className="flex items-center gap-2 text-xs text-muted-foreground">
          <CheckIcon aria-hidden="true" className="size-3.5" />
          {t("pipelines.wizard.schemaForever", { schema })}
        </p>
      ) : null}
    </div>
  );
}

/** A select of a fixed set of values, each shown by its label; onValue gets only those values. */
function EnumSelect<T extends string>({
  values,
  value,
  label,
  onValue,
  ...props
}: { values: readonly T[]; value: T; label: (value: T) => string; onValue: (value: T) => void } & Omit<
  ComponentProps<typeof NativeSelect>,
  "value" | "onChange"
>) {
  return (
    <NativeSelect
      {...props}
      value={value}
      onChange={(event) => {
        const chosen = values.find((v) => v === event.target.value);
        if (chosen !== undefined) onValue(chosen);
      }}
    >
      {values.map((v) => (
        <option key={v} value={v}>
          {label(v)}
        </option>
      ))}
    </NativeSelect>
  );
}
