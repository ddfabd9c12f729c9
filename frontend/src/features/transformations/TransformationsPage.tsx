import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { DownloadIcon, FileCodeIcon, FolderIcon, PlusIcon, UploadIcon } from "lucide-react";
import { useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Input, NativeSelect } from "@/components/ui/input";
import { useHasRole } from "@/features/auth/hooks";
import { connectionsQuery } from "@/features/connections/api";
import { exportProject, importProject, transformationKeys, transformationsQuery, type ImportReport } from "./api";
import { treeRows } from "./tree";

export function TransformationsPage() {
  const { t } = useTranslation();
  const canEdit = useHasRole("editor");
  const [project, setProject] = useState<number | null>(null);
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={t("nav.transformations")}
        description={t("sections.transformations.description")}
        actions={
          <>
            <ProjectSelect value={project} onChange={setProject} />
            <ExportButton destination={project} />
            {canEdit ? (
              <Button asChild>
                <Link to="/transformations/new">
                  <PlusIcon aria-hidden="true" />
                  {t("transformations.new")}
                </Link>
              </Button>
            ) : null}
          </>
        }
      />
      <nav aria-label={t("project.label")} className="flex flex-wrap gap-3 text-sm">
        <Link to="/transformations/macros" className="underline">
          {t("project.macros")}
        </Link>
        <Link to="/transformations/seeds" className="underline">
          {t("project.seeds")}
        </Link>
        <Link to="/transformations/sources" className="underline">
          {t("project.sources")}
        </Link>
      </nav>
      {canEdit ? <ImportForm destination={project} /> : null}
      <ModelTree />
    </div>
  );
}

function ModelTree() {
  const { t } = useTranslation();
  const models = useQuery(transformationsQuery);
  const [search, setSearch] = useState("");
  const searchId = useId();
  if (models.isPending) return <Loading />;
  if (models.isError) return <ErrorAlert error={models.error} title={t("transformations.loadFailed")} />;
  if (models.data.length === 0) return <EmptyState>{t("transformations.empty")}</EmptyState>;
  const rows = treeRows(models.data, search);
  return (
    <section className="flex flex-col gap-3">
      <label htmlFor={searchId} className="sr-only">
        {t("transformations.search")}
      </label>
      <Input
        id={searchId}
        type="search"
        placeholder={t("transformations.search")}
        value={search}
        onChange={(event) => {
          setSearch(event.target.value);
        }}
        className="max-w-sm"
      />
      {rows.length === 0 ? <p className="text-sm text-muted-foreground">{t("transformations.noMatch")}</p> : null}
      <ul aria-label={t("transformations.treeLabel")} className="flex flex-col gap-0.5">
        {rows.map((row) =>
          row.kind === "folder" ? (
            <li key={`folder:${row.path}`} className="flex items-center gap-2 py-1 text-sm font-medium text-muted-foreground" style={{ paddingLeft: `${String(row.depth * 1.25)}rem` }}>
              <FolderIcon aria-hidden="true" className="size-4" />
              {row.name}
            </li>
          ) : (
            <li key={`model:${String(row.model.id)}`} style={{ paddingLeft: `${String(row.depth * 1.25)}rem` }}>
              <Link
                to="/transformations/$transformationId"
                params={{ transformationId: row.model.id }}
                className="flex items-center gap-2 py-1 text-sm hover:underline"
              >
                <FileCodeIcon aria-hidden="true" className="size-4" />
                <span className="font-mono">{row.model.name}</span>
                <span className="text-xs text-muted-foreground">{row.model.materialization}</span>
              </Link>
            </li>
          ),
        )}
      </ul>
    </section>
  );
}

/**
 * Which destination's project Export and Import work on: each destination connection holds one
 * dbt project; left on the default, the org's Warehouse.
 */
function ProjectSelect({ value, onChange }: { value: number | null; onChange: (id: number | null) => void }) {
  const { t } = useTranslation();
  const connections = useQuery(connectionsQuery);
  const destinations = (connections.data ?? []).filter((c) => c.direction !== "source" && !c.managed);
  const id = useId();
  return (
    <div className="flex items-center gap-2">
      <label htmlFor={id} className="text-sm">
        {t("transformations.projectOf")}
      </label>
      <NativeSelect
        id={id}
        value={value === null ? "" : String(value)}
        onChange={(event) => {
          onChange(event.target.value === "" ? null : Number(event.target.value));
        }}
      >
        <option value="">{t("transformations.warehouse")}</option>
        {destinations.map((c) => (
          <option key={c.id} value={String(c.id)}>
            {c.name}
          </option>
        ))}
      </NativeSelect>
    </div>
  );
}

function ExportButton({ destination }: { destination: number | null }) {
  const { t } = useTranslation();
  const download = useMutation({
    mutationFn: () => exportProject(destination),
    onSuccess: (blob) => {
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = "dbt_project.zip";
      link.click();
      URL.revokeObjectURL(url);
    },
  });
  return (
    <>
      <Button
        variant="outline"
        disabled={download.isPending}
        onClick={() => {
          download.mutate();
        }}
      >
        <DownloadIcon aria-hidden="true" />
        {t("transformations.export")}
      </Button>
      {download.isError ? <ErrorAlert error={download.error} title={t("transformations.exportFailed")} /> : null}
    </>
  );
}

function ImportForm({ destination }: { destination: number | null }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const [overwrite, setOverwrite] = useState(false);
  const fileId = useId();
  const overwriteId = useId();
  const upload = useMutation({
    mutationFn: (file: File) => importProject(file, overwrite, destination),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: transformationKeys.all });
    },
  });
  return (
    <section className="flex flex-col gap-3 rounded-lg border p-4">
      <div className="flex flex-wrap items-center gap-3">
        <label htmlFor={fileId} className="text-sm font-medium">
          {t("transformations.importLabel")}
        </label>
        <input id={fileId} ref={input} type="file" accept=".zip,application/zip" className="text-sm" />
        <label htmlFor={overwriteId} className="flex items-center gap-2 text-sm">
          <input
            id={overwriteId}
            type="checkbox"
            checked={overwrite}
            onChange={(event) => {
              setOverwrite(event.target.checked);
            }}
          />
          {t("transformations.overwrite")}
        </label>
        <Button
          variant="outline"
          disabled={upload.isPending}
          onClick={() => {
            const file = input.current?.files?.[0];
            if (file) upload.mutate(file);
          }}
        >
          <UploadIcon aria-hidden="true" />
          {upload.isPending ? t("transformations.importing") : t("transformations.import")}
        </Button>
      </div>
      {upload.isError ? <ErrorAlert error={upload.error} title={t("transformations.importFailed")} /> : null}
      {upload.isSuccess ? <ImportReportView report={upload.data} /> : null}
    </section>
  );
}

const kinds = ["transformations", "macros", "seeds", "sources", "tests", "snapshots"] as const;

export function ImportReportView({ report }: { report: ImportReport }) {
  const { t } = useTranslation();
  return (
    <Alert data-testid="import-report">
      <AlertTitle>{t("transformations.importDone")}</AlertTitle>
      <AlertDescription>
        <table className="text-sm">
          <thead>
            <tr>
              <th className="pr-4 text-left" />
              {(["created", "updated", "skipped"] as const).map((what) => (
                <th key={what} className="pr-4 text-right">
                  {t(`transformations.report.${what}`)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {kinds.map((kind) => (
              <tr key={kind}>
                <th className="pr-4 text-left font-normal">{t(`transformations.kinds.${kind}`)}</th>
                <td className="pr-4 text-right tabular-nums">{report.created[kind]}</td>
                <td className="pr-4 text-right tabular-nums">{report.updated[kind]}</td>
                <td className="pr-4 text-right tabular-nums">{report.skipped[kind]}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {report.warnings.length > 0 ? (
          <ul className="mt-2 list-disc pl-5 text-sm">
            {report.warnings.map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        ) : null}
      </AlertDescription>
    </Alert>
  );
}
