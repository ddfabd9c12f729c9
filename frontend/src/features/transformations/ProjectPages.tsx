import { useMutation, useQuery, useQueryClient, type UseQueryResult } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { PlusIcon, TrashIcon } from "lucide-react";
import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert, Field } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { useConfirmDelete } from "@/components/use-confirm-delete";
import { Button } from "@/components/ui/button";
import { Input, NativeSelect } from "@/components/ui/input";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useHasRole } from "@/features/auth/hooks";
import { filesQuery } from "@/features/files/api";
import {
  createMacro,
  createSeed,
  createSource,
  deleteMacro,
  deleteSeed,
  deleteSource,
  macrosQuery,
  seedsQuery,
  sourcesQuery,
  transformationKeys,
  updateMacro,
  type Macro,
  type Seed,
  type Source,
} from "./api";
import { macroNames } from "./completion";
import { parseTableNames } from "./project";

function ProjectPage({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={title}
        eyebrow={t("nav.transformations")}
        description={t("sections.transformations.description")}
        actions={
          <Button asChild variant="outline">
            <Link to="/transformations">{t("transformations.backToList")}</Link>
          </Button>
        }
      />
      {children}
    </div>
  );
}

export function MacrosPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const canEdit = useHasRole("editor");
  const macros = useQuery(macrosQuery);
  const [editing, setEditing] = useState<Macro | null>(null);
  const [name, setName] = useState("");
  const [body, setBody] = useState("");
  const save = useMutation({
    mutationFn: () => (editing ? updateMacro(editing.id, { name, sql_body: body }) : createMacro({ name, sql_body: body })),
    onSuccess: async () => {
      setEditing(null);
      setName("");
      setBody("");
      await queryClient.invalidateQueries({ queryKey: transformationKeys.macros() });
    },
  });
  const del = useConfirmDelete({
    remove: (macro: Macro) => deleteMacro(macro.id),
    onDeleted: () => queryClient.invalidateQueries({ queryKey: transformationKeys.macros() }),
  });
  return (
    <ProjectPage title={t("project.macros")}>
      <ListOf query={macros} empty={t("project.noMacros")}>
        {(items) => (
          <Table aria-label={t("project.macros")}>
            <TableHeader>
              <TableRow>
                <TableHead>{t("project.file")}</TableHead>
                <TableHead>{t("project.defines")}</TableHead>
                <TableHead />
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((macro) => (
                <TableRow key={macro.id}>
                  <TableCell className="font-mono">macros/{macro.name}.sql</TableCell>
                  <TableCell className="font-mono text-xs">{macroNames(macro.sql_body).join(", ")}</TableCell>
                  <TableCell className="text-right">
                    {canEdit ? (
                      <>
                        <Button
                          variant="outline"
                          size="sm"
                          onClick={() => {
                            setEditing(macro);
                            setName(macro.name);
                            setBody(macro.sql_body);
                          }}
                        >
                          {t("project.edit")}
                        </Button>
                        <DeleteButton name={macro.name} onClick={() => { del.ask(macro); }} />
                      </>
                    ) : null}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </ListOf>
      {canEdit ? (
        <FormCard onSubmit={() => { save.mutate(); }}>
          <h2 className="font-semibold">{editing ? t("project.editMacro", { name: editing.name }) : t("project.newMacro")}</h2>
          <Field label={t("project.fileName")}>{(props) => <Input {...props} value={name} onChange={(e) => { setName(e.target.value); }} />}</Field>
          <Field label={t("project.macroBody")}>
            {(props) => (
              <textarea
                {...props}
                className="min-h-40 rounded-md border bg-background p-2 font-mono text-sm"
                value={body}
                placeholder="{% macro cents_to_dollars(column) %}({{ column }} / 100.0){% endmacro %}"
                onChange={(e) => {
                  setBody(e.target.value);
                }}
              />
            )}
          </Field>
          {save.isError ? <ErrorAlert error={save.error} title={t("project.saveFailed")} /> : null}
          <div>
            <Button type="submit" disabled={save.isPending || name.trim() === "" || body.trim() === ""}>
              {t("project.save")}
            </Button>
          </div>
        </FormCard>
      ) : null}
      <ConfirmDialog {...del.dialog} title={t("project.deleteTitle", { name: del.target?.name ?? "" })} description={t("project.deleteBody")} confirmLabel={t("project.delete")} />
    </ProjectPage>
  );
}

export function SeedsPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const canEdit = useHasRole("editor");
  const seeds = useQuery(seedsQuery);
  const files = useQuery({ ...filesQuery, enabled: canEdit });
  const csvFiles = (files.data ?? []).filter((f) => f.format === "csv");
  const [fileId, setFileId] = useState("");
  const [name, setName] = useState("");
  const create = useMutation({
    mutationFn: () => createSeed({ file_id: Number(fileId), ...(name.trim() !== "" ? { name: name.trim() } : {}) }),
    onSuccess: async () => {
      setFileId("");
      setName("");
      await queryClient.invalidateQueries({ queryKey: transformationKeys.seeds() });
    },
  });
  const del = useConfirmDelete({
    remove: (seed: Seed) => deleteSeed(seed.id),
    onDeleted: () => queryClient.invalidateQueries({ queryKey: transformationKeys.seeds() }),
  });
  return (
    <ProjectPage title={t("project.seeds")}>
      <ListOf query={seeds} empty={t("project.noSeeds")}>
        {(items) => (
          <Table aria-label={t("project.seeds")}>
            <TableHeader>
              <TableRow>
                <TableHead>{t("project.name")}</TableHead>
                <TableHead className="text-right">{t("project.rows")}</TableHead>
                <TableHead>{t("project.columns")}</TableHead>
                <TableHead />
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((seed) => (
                <TableRow key={seed.id}>
                  <TableCell className="font-mono">{seed.name}</TableCell>
                  <TableCell className="text-right tabular-nums">{seed.row_count}</TableCell>
                  <TableCell className="font-mono text-xs">
                    {Object.entries(seed.column_types)
                      .map(([column, type]) => `${column} ${type}`)
                      .join(", ")}
                  </TableCell>
                  <TableCell className="text-right">
                    {canEdit ? (
                      <DeleteButton name={seed.name} onClick={() => { del.ask(seed); }} />
                    ) : null}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </ListOf>
      {canEdit ? (
        <FormCard onSubmit={() => { create.mutate(); }}>
          <h2 className="font-semibold">{t("project.newSeed")}</h2>
          {files.isSuccess && csvFiles.length === 0 ? (
            <p className="text-sm text-muted-foreground">
              {t("project.noCsv")}{" "}
              <Link to="/files" className="underline">
                {t("nav.files")}
              </Link>
            </p>
          ) : null}
          <Field label={t("project.csvFile")}>
            {(props) => (
              <NativeSelect {...props} value={fileId} onChange={(e) => { setFileId(e.target.value); }}>
                <option value="">{t("project.pickFile")}</option>
                {csvFiles.map((file) => (
                  <option key={file.id} value={String(file.id)}>
                    {file.name}
                  </option>
                ))}
              </NativeSelect>
            )}
          </Field>
          <Field label={t("project.seedName")} hint={t("project.seedNameHint")}>
            {(props) => <Input {...props} value={name} onChange={(e) => { setName(e.target.value); }} />}
          </Field>
          {create.isError ? <ErrorAlert error={create.error} title={t("project.saveFailed")} /> : null}
          <div>
            <Button type="submit" disabled={create.isPending || fileId === ""}>
              <PlusIcon aria-hidden="true" />
              {t("project.createSeed")}
            </Button>
          </div>
        </FormCard>
      ) : null}
      <ConfirmDialog {...del.dialog} title={t("project.deleteTitle", { name: del.target?.name ?? "" })} description={t("project.deleteBody")} confirmLabel={t("project.delete")} />
    </ProjectPage>
  );
}

function freshnessText(table: Source["tables"][number]): string {
  const f = table.freshness;
  if (!f) return "—";
  const period = (p: typeof f.warn_after) => (p ? `${String(p.count)} ${p.period}` : null);
  return [f.warn_after ? `warn ${period(f.warn_after) ?? ""}` : null, f.error_after ? `error ${period(f.error_after) ?? ""}` : null]
    .filter(Boolean)
    .join(", ") || "—";
}

export function SourcesPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const canEdit = useHasRole("editor");
  const sources = useQuery(sourcesQuery);
  const [name, setName] = useState("");
  const [schema, setSchema] = useState("");
  const [tables, setTables] = useState("");
  const create = useMutation({
    mutationFn: () => createSource({ name: name.trim(), schema_name: schema.trim(), tables: parseTableNames(tables).map((table) => ({ name: table })) }),
    onSuccess: async () => {
      setName("");
      setSchema("");
      setTables("");
      await queryClient.invalidateQueries({ queryKey: transformationKeys.sources() });
    },
  });
  const del = useConfirmDelete({
    remove: (source: Source) => deleteSource(source.id),
    onDeleted: () => queryClient.invalidateQueries({ queryKey: transformationKeys.sources() }),
  });
  return (
    <ProjectPage title={t("project.sources")}>
      <p className="text-sm text-muted-foreground">{t("project.pipelineSources")}</p>
      <ListOf query={sources} empty={t("project.noSources")}>
        {(items) => (
          <Table aria-label={t("project.sources")}>
            <TableHeader>
              <TableRow>
                <TableHead>{t("project.name")}</TableHead>
                <TableHead>{t("project.schema")}</TableHead>
                <TableHead>{t("project.tables")}</TableHead>
                <TableHead />
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((source) => (
                <TableRow key={source.id}>
                  <TableCell className="font-mono">{source.name}</TableCell>
                  <TableCell className="font-mono">{source.schema_name}</TableCell>
                  <TableCell>
                    <ul className="text-xs">
                      {source.tables.map((table) => (
                        <li key={table.name}>
                          <span className="font-mono">{table.name}</span>
                          <span className="text-muted-foreground"> · {t("project.freshness")}: {freshnessText(table)}</span>
                        </li>
                      ))}
                    </ul>
                  </TableCell>
                  <TableCell className="text-right">
                    {canEdit ? (
                      <DeleteButton name={source.name} onClick={() => { del.ask(source); }} />
                    ) : null}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </ListOf>
      {canEdit ? (
        <FormCard onSubmit={() => { create.mutate(); }}>
          <h2 className="font-semibold">{t("project.newSource")}</h2>
          <Field label={t("project.name")}>{(props) => <Input {...props} value={name} onChange={(e) => { setName(e.target.value); }} />}</Field>
          <Field label={t("project.schema")}>{(props) => <Input {...props} value={schema} onChange={(e) => { setSchema(e.target.value); }} />}</Field>
          <Field label={t("project.tables")} hint={t("project.tablesHint")}>
            {(props) => <Input {...props} value={tables} onChange={(e) => { setTables(e.target.value); }} />}
          </Field>
          {create.isError ? <ErrorAlert error={create.error} title={t("project.saveFailed")} /> : null}
          <div>
            <Button type="submit" disabled={create.isPending || name.trim() === "" || schema.trim() === "" || parseTableNames(tables).length === 0}>
              <PlusIcon aria-hidden="true" />
              {t("project.createSource")}
            </Button>
          </div>
        </FormCard>
      ) : null}
      <ConfirmDialog {...del.dialog} title={t("project.deleteTitle", { name: del.target?.name ?? "" })} description={t("project.deleteBody")} confirmLabel={t("project.delete")} />
    </ProjectPage>
  );
}

// DeleteButton is a row's delete action, confirmed by the page's ConfirmDialog.
/** A list query's states: loading, its error, empty (the empty text), else children with its items. */
function ListOf<T>({ query, empty, children }: { query: UseQueryResult<T[]>; empty: string; children: (items: T[]) => ReactNode }) {
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorAlert error={query.error} />;
  if (query.data.length === 0) return <EmptyState>{empty}</EmptyState>;
  return children(query.data);
}

function DeleteButton({ name, onClick }: { name: string; onClick: () => void }) {
  const { t } = useTranslation();
  return (
    <Button variant="ghost" size="sm" aria-label={t("project.deleteNamed", { name })} onClick={onClick}>
      <TrashIcon aria-hidden="true" />
    </Button>
  );
}

// FormCard is a page's create or edit form.
function FormCard({ onSubmit, children }: { onSubmit: () => void; children: ReactNode }) {
  return (
    <form
      className="flex max-w-3xl flex-col gap-3 rounded-lg border p-4"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      {children}
    </form>
  );
}
