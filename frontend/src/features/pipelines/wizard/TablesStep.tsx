import { useMutation, useQueryClient, type useQuery } from "@tanstack/react-query";
import { RefreshCwIcon } from "lucide-react";
import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert, Field } from "@/components/form";
import { Loading } from "@/components/loading";
import { Button } from "@/components/ui/button";
import { Input, Label } from "@/components/ui/input";
import { catalogQuery, fetchCatalog, type Catalog } from "@/features/connections/api";
import { buildConfig, isFileSource, splitTable, type FormState } from "./config";
import { errorAt } from "./errors";
import { FileSettings } from "./FileSettings";
import { ObjectMatches, ResourcePreview } from "./SourcePreview";
import type { StepProps } from "./useWizardForm";

/**
 * Step 2: the tables to load, picked from the source's catalog (with search and select-all). A
 * file source (an uploaded file, an S3 prefix) adds config.files below: the detected columns
 * with type overrides and the CSV dialect; an S3 source loads its files as one table named here,
 * with a glob picking the objects.
 */
export function TablesStep({
  form,
  update,
  errors,
  catalog,
  sourceType,
}: StepProps & { catalog: ReturnType<typeof useQuery<Catalog>>; sourceType?: string | undefined }) {
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
  if (sourceType === "s3") return <S3Tables form={form} update={update} errors={errors} catalog={catalog.data} />;
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
      {sourceType === "rest_api" ? (
        <ResourcePreviews connectionId={form.sourceId} form={form} tables={all.filter((entry) => selected.has(`${entry.schema}.${entry.table.name}`))} />
      ) : null}
      {isFileSource(sourceType) ? (
        <FileSettings
          form={form}
          update={update}
          errors={errors}
          s3={false}
          columns={all.find((entry) => selected.has(`${entry.schema}.${entry.table.name}`))?.table.columns ?? all[0]?.table.columns ?? []}
        />
      ) : null}
    </div>
  );
}

/**
 * An S3 source is one table of every object under the prefix that matches the glob: its name
 * (sent as the one entry of table_names) and the glob; the columns are the first file's.
 */
function S3Tables({ form, update, errors, catalog }: StepProps & { catalog: Catalog }) {
  const { t } = useTranslation();
  const first = catalog.schemas.flatMap((schema) => schema.tables)[0];
  const name = form.tables.length === 1 ? splitTable(form.tables[0] ?? "")[1] : "";
  const tableError = errorAt(errors, "config.table_names") ?? errorAt(errors, "config.table") ?? errorAt(errors, "config.source_schema");
  return (
    <div className="flex flex-col gap-4">
      <Field label={t("pipelines.wizard.files.tableName")} hint={t("pipelines.wizard.files.tableNameHint")} error={tableError}>
        {(props) => (
          <Input
            {...props}
            value={name}
            maxLength={63}
            onChange={(event) => {
              const value = event.target.value.trim();
              update({ tables: value ? [value] : [], wholeSchema: null, primaryKeys: {} });
            }}
          />
        )}
      </Field>
      <Field label={t("pipelines.wizard.files.glob")} hint={t("pipelines.wizard.files.globHint")} error={errorAt(errors, "config.files.glob")}>
        {(props) => (
          <Input
            {...props}
            value={form.files.glob}
            maxLength={1024}
            placeholder="**/*.csv"
            onChange={(event) => {
              update({ files: { ...form.files, glob: event.target.value } });
            }}
          />
        )}
      </Field>
      <ObjectMatches connectionId={form.sourceId ?? 0} glob={form.files.glob} />
      <FileSettings form={form} update={update} errors={errors} s3 columns={first?.columns ?? []} />
    </div>
  );
}

/**
 * A REST API's picked resources, each with the columns and first-page rows it loads as, under
 * the filters and naming set in the wizard so far.
 */
function ResourcePreviews({ connectionId, form, tables }: { connectionId: number; form: FormState; tables: { table: Catalog["schemas"][number]["tables"][number] }[] }) {
  if (tables.length === 0) return null;
  const built = buildConfig(form);
  const config = built.filters === undefined ? { naming: built.naming } : { naming: built.naming, filters: built.filters };
  return (
    <div className="flex flex-col gap-3">
      {tables.map(({ table }) => (
        <ResourcePreview key={table.name} connectionId={connectionId} table={table} config={config} />
      ))}
    </div>
  );
}
