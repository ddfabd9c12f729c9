import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useBlocker, useNavigate, useParams } from "@tanstack/react-router";
import { EyeIcon, HammerIcon, PlayIcon, SaveIcon, ScanSearchIcon, TestTubeIcon, TriangleAlertIcon } from "lucide-react";
import { useId, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ErrorAlert, Field } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Input, NativeSelect } from "@/components/ui/input";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useHasRole } from "@/features/auth/hooks";
import { NodeOrchestration } from "@/features/dag/NodeOrchestration";
import { formatCell } from "@/features/connections/SqlConsole";
import { runKeys, runQuery, runsQuery } from "@/features/runs/api";
import { RunStatusBadge } from "@/features/runs/common";
import { useFormatDateTime } from "@/lib/datetime";
import {
  compileSql,
  createTransformation,
  materializations,
  previewTransformation,
  transformationKeys,
  transformationQuery,
  transformationsQuery,
  triggerTransformationRun,
  updateTransformation,
  type CompileResult,
  type Materialization,
  type PreviewResult,
  type TransformCommand,
  type Transformation,
} from "./api";
import { lineErrors, modelNamePattern, pathFor } from "./diagnostics";
import { ModelEditor } from "./ModelEditor";
import { TestsEditor } from "./TestsEditor";
import { lineageOf } from "./tree";
import { columnTestsOf, withColumnTests, type ColumnTests } from "./testsConfig";
import { DestinationSelect } from "./DestinationSelect";
import { useCompletionData, useDestinationId } from "./useCompletionData";

export function NewTransformationPage() {
  return <TransformationEditor key="new" saved={null} />;
}

export function TransformationEditorPage() {
  const { t } = useTranslation();
  const { transformationId } = useParams({ strict: false });
  const model = useQuery(transformationQuery(transformationId ?? 0));
  if (model.isPending) return <Loading />;
  if (model.isError) return <ErrorAlert error={model.error} title={t("transformations.loadOneFailed")} />;
  return <TransformationEditor key={model.data.id} saved={model.data} />;
}

/** A model's editable fields; `destination` null is the org's Warehouse. */
type Draft = { name: string; path: string; materialization: Materialization; sql: string; destination: number | null; tests: ColumnTests[] };

function draftOf(saved: Transformation | null): Draft {
  return saved
    ? {
        name: saved.name,
        path: saved.path,
        materialization: saved.materialization,
        sql: saved.sql_body,
        destination: saved.destination_connection_id,
        tests: columnTestsOf(saved.tests_config),
      }
    : { name: "", path: "", materialization: "view", sql: "", destination: null, tests: [] };
}

/** The changes of `draft` against what is saved, as the body of an update. */
export function changesOf(draft: Draft, saved: Transformation | null) {
  const base = draftOf(saved);
  const tests = withColumnTests(saved?.tests_config, draft.tests);
  const testsChanged = JSON.stringify(tests) !== JSON.stringify(withColumnTests(saved?.tests_config, base.tests));
  return {
    ...(testsChanged ? { tests_config: tests } : {}),
    ...(draft.name !== base.name ? { name: draft.name } : {}),
    ...(draft.path !== base.path ? { path: draft.path } : {}),
    ...(draft.materialization !== base.materialization ? { materialization: draft.materialization } : {}),
    ...(draft.sql !== base.sql ? { sql_body: draft.sql } : {}),
    ...(draft.destination !== base.destination && draft.destination !== null ? { destination_connection_id: draft.destination } : {}),
  };
}

function TransformationEditor({ saved }: { saved: Transformation | null }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const canEdit = useHasRole("editor");
  const [draft, setDraft] = useState<Draft>(() => draftOf(saved));
  const [current, setCurrent] = useState<Transformation | null>(saved);
  const [downstream, setDownstream] = useState(false);
  const [pane, setPane] = useState<"compiled" | "preview">("compiled");
  const destinationId = useDestinationId(draft.destination ?? undefined);
  const completions = useCompletionData(destinationId);
  const dirty = Object.keys(changesOf(draft, current)).length > 0;
  const nameError = draft.name !== "" && !modelNamePattern.test(draft.name) ? t("transformations.nameInvalid") : undefined;
  const effectivePath = draft.path.trim() === "" ? pathFor(draft.name, "") : draft.path.trim();

  useBlocker({
    shouldBlockFn: () => dirty && !window.confirm(t("transformations.leaveUnsaved")),
    enableBeforeUnload: () => dirty,
  });

  const save = useMutation({
    mutationFn: async (): Promise<Transformation> => {
      if (current === null) {
        return createTransformation({
          name: draft.name,
          sql_body: draft.sql,
          materialization: draft.materialization,
          ...(draft.path.trim() !== "" ? { path: draft.path.trim() } : {}),
          ...(draft.destination !== null ? { destination_connection_id: draft.destination } : {}),
          ...(draft.tests.length > 0 ? { tests_config: withColumnTests(null, draft.tests) } : {}),
        });
      }
      return updateTransformation(current.id, changesOf(draft, current));
    },
    onSuccess: async (model) => {
      const created = current === null;
      setCurrent(model);
      setDraft((d) => ({ ...d, path: model.path, name: model.name }));
      queryClient.setQueryData(transformationKeys.detail(model.id), model);
      await queryClient.invalidateQueries({ queryKey: transformationKeys.models() });
      // A preview saves a new model and shows its rows here; a plain save opens the model's page.
      if (created && !previewing.current) void navigate({ to: "/transformations/$transformationId", params: { transformationId: model.id }, ignoreBlocker: true });
    },
  });
  const compile = useMutation({
    mutationFn: (): Promise<CompileResult> =>
      compileSql({
        sql_body: draft.sql,
        ...(draft.name !== "" && modelNamePattern.test(draft.name) ? { name: draft.name } : {}),
        materialization: draft.materialization,
        ...(destinationId !== undefined ? { destination_connection_id: destinationId } : {}),
      }),
  });
  const previewing = useRef(false);
  const preview = useMutation({
    mutationFn: async (): Promise<PreviewResult> => {
      let model = current;
      if (model === null || dirty) {
        previewing.current = true;
        try {
          model = await save.mutateAsync();
        } finally {
          previewing.current = false;
        }
      }
      return previewTransformation(model.id, 100);
    },
  });
  const trigger = useMutation({
    mutationFn: (command: TransformCommand) => {
      if (current === null) throw new Error("not saved");
      return triggerTransformationRun(current.id, { command, downstream, full_refresh: false });
    },
    onSuccess: async (run) => {
      queryClient.setQueryData(runQuery(run.id).queryKey, run);
      await queryClient.invalidateQueries({ queryKey: runKeys.lists() });
      if (run.dag_run_id) void navigate({ to: "/dag", search: { dag_run: run.dag_run_id } });
      else void navigate({ to: "/runs/$runId", params: { runId: run.id } });
    },
  });

  const lastError = [save, compile, preview].find((m) => m.isError)?.error ?? null;
  const modelName = draft.name;
  const errors = useMemo(
    () => lineErrors(lastError, [effectivePath, `${modelName}.sql`, "__preview__.sql"]),
    [lastError, effectivePath, modelName],
  );
  const canSave = canEdit && draft.name !== "" && nameError === undefined && draft.sql.trim() !== "" && !save.isPending;

  function runPreview() {
    if (!canEdit || draft.sql.trim() === "" || preview.isPending || nameError !== undefined || draft.name === "") return;
    compile.reset();
    setPane("preview");
    preview.mutate();
  }

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={current ? current.name : t("transformations.newTitle")}
        description={current ? current.path : t("transformations.newDescription")}
        eyebrow={t("nav.transformations")}
        actions={
          <Button asChild variant="outline">
            <Link to="/transformations">{t("transformations.backToList")}</Link>
          </Button>
        }
      />
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Field label={t("transformations.fields.name")} error={nameError}>
          {(props) => (
            <Input
              {...props}
              value={draft.name}
              disabled={!canEdit}
              onChange={(event) => {
                setDraft({ ...draft, name: event.target.value });
              }}
            />
          )}
        </Field>
        <Field label={t("transformations.fields.path")} hint={t("transformations.pathHint", { path: effectivePath })}>
          {(props) => (
            <Input
              {...props}
              value={draft.path}
              placeholder={pathFor(draft.name || "model", "")}
              disabled={!canEdit}
              onChange={(event) => {
                setDraft({ ...draft, path: event.target.value });
              }}
            />
          )}
        </Field>
        <Field label={t("transformations.fields.materialization")}>
          {(props) => (
            <NativeSelect
              {...props}
              value={draft.materialization}
              disabled={!canEdit}
              onChange={(event) => {
                setDraft({ ...draft, materialization: event.target.value as Materialization });
              }}
            >
              {materializations.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        <Field label={t("transformations.fields.destination")}>
          {(props) => (
            <DestinationSelect
              {...props}
              value={draft.destination}
              disabled={!canEdit}
              onChange={(destination) => {
                setDraft({ ...draft, destination });
              }}
            />
          )}
        </Field>
      </div>
      <div className="overflow-hidden rounded-lg border">
        <ModelEditor
          value={draft.sql}
          onChange={(sql) => {
            setDraft((d) => ({ ...d, sql }));
          }}
          onRun={runPreview}
          label={t("transformations.editor")}
          completions={completions}
          errors={errors}
        />
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <Button
          disabled={!canSave || (!dirty && current !== null)}
          onClick={() => {
            save.mutate();
          }}
        >
          <SaveIcon aria-hidden="true" />
          {save.isPending ? t("transformations.saving") : t("transformations.save")}
        </Button>
        <Button
          variant="outline"
          disabled={compile.isPending || draft.sql.trim() === ""}
          onClick={() => {
            preview.reset();
            setPane("compiled");
            compile.mutate();
          }}
        >
          <ScanSearchIcon aria-hidden="true" />
          {compile.isPending ? t("transformations.compiling") : t("transformations.compile")}
        </Button>
        <Button variant="outline" disabled={!canEdit || preview.isPending || draft.sql.trim() === "" || draft.name === ""} onClick={runPreview}>
          <EyeIcon aria-hidden="true" />
          {preview.isPending ? t("transformations.previewing") : t("transformations.preview")}
        </Button>
        <span className="text-xs text-muted-foreground">{t("transformations.shortcut")}</span>
        {dirty ? <span className="text-xs font-medium text-amber-600" data-testid="unsaved">{t("transformations.unsaved")}</span> : null}
      </div>
      {canEdit && current ? (
        <RunButtons
          downstream={downstream}
          setDownstream={setDownstream}
          pending={trigger.isPending}
          disabled={dirty}
          onRun={(command) => {
            trigger.mutate(command);
          }}
        />
      ) : null}
      {trigger.isError ? <ErrorAlert error={trigger.error} title={t("transformations.runFailed")} /> : null}
      {save.isError ? <ErrorAlert error={save.error} title={t("transformations.saveFailed")} /> : null}
      <section aria-live="polite" className="flex flex-col gap-3">
        {pane === "compiled" && compile.isError ? <ErrorAlert error={compile.error} title={t("transformations.compileFailed")} /> : null}
        {pane === "compiled" && compile.isSuccess ? <CompiledPane result={compile.data} /> : null}
        {pane === "preview" && preview.isError && !save.isError ? <ErrorAlert error={preview.error} title={t("transformations.previewFailed")} /> : null}
        {pane === "preview" && preview.isSuccess ? <PreviewPane result={preview.data} /> : null}
      </section>
      <TestsEditor
        rows={draft.tests}
        disabled={!canEdit}
        models={completions.models}
        onChange={(tests) => {
          setDraft((d) => ({ ...d, tests }));
        }}
      />
      {current ? <Lineage model={current} /> : null}
      {current ? <NodeOrchestration node={{ type: "transformation", id: current.id }} /> : null}
      {current ? <RunHistory modelId={current.id} /> : null}
    </div>
  );
}

function RunButtons({
  downstream,
  setDownstream,
  pending,
  disabled,
  onRun,
}: {
  downstream: boolean;
  setDownstream: (value: boolean) => void;
  pending: boolean;
  disabled: boolean;
  onRun: (command: TransformCommand) => void;
}) {
  const { t } = useTranslation();
  const id = useId();
  const icons = { run: PlayIcon, test: TestTubeIcon, build: HammerIcon } as const;
  return (
    <div className="flex flex-wrap items-center gap-2 rounded-lg border p-3">
      {(["run", "test", "build"] as const).map((command) => {
        const Icon = icons[command];
        return (
          <Button
            key={command}
            variant={command === "build" ? "default" : "outline"}
            disabled={pending || disabled}
            onClick={() => {
              onRun(command);
            }}
          >
            <Icon aria-hidden="true" />
            {t(`transformations.commands.${command}`)}
          </Button>
        );
      })}
      <label htmlFor={id} className="ml-2 flex items-center gap-2 text-sm">
        <input
          id={id}
          type="checkbox"
          checked={downstream}
          onChange={(event) => {
            setDownstream(event.target.checked);
          }}
        />
        {t("transformations.downstream")}
      </label>
      {disabled ? <span className="text-xs text-muted-foreground">{t("transformations.saveBeforeRun")}</span> : null}
    </div>
  );
}

function CompiledPane({ result }: { result: CompileResult }) {
  const { t } = useTranslation();
  const plan = result.plan;
  return (
    <div className="flex flex-col gap-3" data-testid="compiled-pane">
      <h2 className="text-lg font-semibold">{t("transformations.compiled")}</h2>
      {plan.unbuilt.length > 0 ? (
        <Alert>
          <TriangleAlertIcon aria-hidden="true" />
          <AlertTitle>{t("transformations.unbuilt")}</AlertTitle>
          <AlertDescription>
            <p className="font-mono text-xs">{plan.unbuilt.join(", ")}</p>
          </AlertDescription>
        </Alert>
      ) : null}
      {plan.checked && !plan.ok ? (
        <Alert variant="destructive" role="alert">
          <TriangleAlertIcon aria-hidden="true" />
          <AlertTitle>{t("transformations.planFailed")}</AlertTitle>
          <AlertDescription>
            <p>
              {plan.line !== undefined ? t("transformations.atLine", { line: plan.line, column: plan.column ?? 1 }) + " " : ""}
              {plan.message}
            </p>
          </AlertDescription>
        </Alert>
      ) : null}
      {!plan.checked && plan.message ? <p className="text-xs text-muted-foreground">{plan.message}</p> : null}
      <pre className="max-h-96 overflow-auto rounded-lg border bg-muted p-3 font-mono text-xs whitespace-pre-wrap">{result.compiled_sql}</pre>
      {result.depends_on.length > 0 ? (
        <p className="text-xs text-muted-foreground">
          {t("transformations.dependsOn")} <span className="font-mono">{result.depends_on.join(", ")}</span>
        </p>
      ) : null}
    </div>
  );
}

function PreviewPane({ result }: { result: PreviewResult }) {
  const { t } = useTranslation();
  return (
    <div className="flex flex-col gap-3">
      <h2 className="text-lg font-semibold">{t("transformations.previewTitle")}</h2>
      <p className="text-sm text-muted-foreground" data-testid="preview-count">
        {t("transformations.previewRows", { count: result.rows.length })}
      </p>
      <div className="max-h-96 overflow-auto">
        <Table aria-label={t("transformations.previewTitle")}>
          <TableHeader>
            <TableRow>
              {result.columns.map((column, index) => (
                <TableHead key={`${String(index)}-${column}`} className="font-mono">
                  {column}
                </TableHead>
              ))}
            </TableRow>
          </TableHeader>
          <TableBody>
            {result.rows.map((row, rowIndex) => (
              <TableRow key={rowIndex}>
                {result.columns.map((column, index) => (
                  <TableCell key={`${String(index)}-${column}`} className="font-mono text-xs whitespace-pre">
                    {formatCell(row[index])}
                  </TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </div>
    </div>
  );
}

function RunHistory({ modelId }: { modelId: number }) {
  const { t } = useTranslation();
  const formatDate = useFormatDateTime();
  const runs = useInfiniteQuery(runsQuery({ target_type: "transformation", target_id: modelId }, 10));
  const items = runs.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section aria-labelledby="model-runs" className="flex flex-col gap-2">
      <h2 id="model-runs" className="text-lg font-semibold">
        {t("transformations.history")}
      </h2>
      {runs.isError ? <ErrorAlert error={runs.error} /> : null}
      {runs.isSuccess && items.length === 0 ? <p className="text-sm text-muted-foreground">{t("transformations.noRuns")}</p> : null}
      <ul className="flex flex-col gap-1">
        {items.map((run) => (
          <li key={run.id}>
            <Link to="/runs/$runId" params={{ runId: run.id }} className="flex items-center gap-2 text-sm hover:underline">
              <RunStatusBadge status={run.status} />
              {t("runs.runNumber", { id: run.id })}
              <time dateTime={run.created_at} className="text-xs text-muted-foreground">
                {formatDate(run.created_at)}
              </time>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Lineage({ model }: { model: Transformation }) {
  const { t } = useTranslation();
  const models = useQuery(transformationsQuery);
  const { upstream, downstream } = lineageOf(models.data ?? [], model);
  const linkClass = "font-mono text-xs hover:underline";
  return (
    <section aria-labelledby="model-lineage" className="grid gap-4 rounded-lg border p-4 sm:grid-cols-2">
      <h2 id="model-lineage" className="font-semibold sm:col-span-2">
        {t("transformations.lineage.title")}
      </h2>
      <div>
        <h3 className="text-sm text-muted-foreground">{t("transformations.lineage.upstream")}</h3>
        {upstream.length === 0 ? <p className="text-sm">—</p> : null}
        <ul>
          {upstream.map((node) => (
            <li key={node.uniqueId} title={node.uniqueId}>
              {node.model ? (
                <Link to="/transformations/$transformationId" params={{ transformationId: node.model.id }} className={linkClass}>
                  {node.name}
                </Link>
              ) : (
                <span className="font-mono text-xs">
                  {node.name} <span className="text-muted-foreground">({node.uniqueId.split(".")[0]})</span>
                </span>
              )}
            </li>
          ))}
        </ul>
      </div>
      <div>
        <h3 className="text-sm text-muted-foreground">{t("transformations.lineage.downstream")}</h3>
        {downstream.length === 0 ? <p className="text-sm">—</p> : null}
        <ul>
          {downstream.map((m) => (
            <li key={m.id}>
              <Link to="/transformations/$transformationId" params={{ transformationId: m.id }} className={linkClass}>
                {m.name}
              </Link>
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
