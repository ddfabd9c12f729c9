import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ApiError } from "@/api/client";
import { ErrorAlert } from "@/components/form";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { objectsQuery, restPreviewQuery, type Catalog, type Config } from "@/features/connections/api";
import { formatBytes } from "@/features/files/api";
import { useDebounced } from "@/lib/use-debounced";
import { Section } from "./controls";

/** How long the glob must rest before its objects are listed. */
export const globDebounceMs = 300;

/**
 * The objects of an S3 source that the glob being typed picks, listed by the server with the
 * load engine's own matcher, so what is shown is what a run loads.
 */
export function ObjectMatches({ connectionId, glob }: { connectionId: number; glob: string }) {
  const { t, i18n } = useTranslation();
  const settled = useDebounced(glob.trim(), globDebounceMs);
  const objects = useQuery({ ...objectsQuery(connectionId, settled), placeholderData: keepPreviousData });
  const title = t("pipelines.wizard.files.matching");
  const globError = objects.error instanceof ApiError ? objects.error.fieldErrors.glob : undefined;
  return (
    <Section title={title}>
      <div className="flex flex-col gap-2 text-sm" aria-live="polite" aria-busy={objects.isFetching || settled !== glob.trim()}>
        {objects.isPending ? (
          <p className="text-muted-foreground">{t("pipelines.wizard.files.listing")}</p>
        ) : objects.isError ? (
          globError ? (
            <p role="alert" className="text-destructive">
              {t("pipelines.wizard.files.badGlob", { reason: globError })}
            </p>
          ) : (
            <ErrorAlert error={objects.error} title={t("pipelines.wizard.files.listFailed")} />
          )
        ) : objects.data.objects.length === 0 ? (
          <p className="font-medium">{t("pipelines.wizard.files.noObjects")}</p>
        ) : (
          <>
            <ul aria-label={title} className="flex max-h-64 flex-col gap-1 overflow-y-auto">
              {objects.data.objects.map((object) => (
                <li key={object.key} className="flex justify-between gap-4 font-mono">
                  <span className="break-all">{object.key}</span>
                  <span className="shrink-0 text-muted-foreground">{formatBytes(object.size, i18n.language)}</span>
                </li>
              ))}
            </ul>
            {objects.data.truncated ? (
              <p className="text-muted-foreground">{t("pipelines.wizard.files.moreObjects", { count: objects.data.objects.length })}</p>
            ) : null}
          </>
        )}
      </div>
    </Section>
  );
}

type CatalogTable = Catalog["schemas"][number]["tables"][number];

/**
 * A REST API resource as it loads: its columns and the rows of its first page, as the server's
 * preview (the load engine reading one page with the wizard's filters and naming) gives them.
 * Until the preview arrives, or when it fails, the columns are the catalog's.
 */
export function ResourcePreview({ connectionId, table, config }: { connectionId: number; table: CatalogTable; config: Config }) {
  const { t } = useTranslation();
  const preview = useQuery(restPreviewQuery(connectionId, table.name, config));
  const columns = preview.data?.columns ?? table.columns;
  const label = t("pipelines.wizard.files.resourceColumns", { resource: table.name });
  const rowsLabel = t("pipelines.wizard.files.firstPage", { resource: table.name });
  return (
    <Section title={label}>
      {columns.length === 0 ? (
        <p className="text-sm text-muted-foreground">{t("pipelines.wizard.files.noRecords")}</p>
      ) : (
        <ul aria-label={label} className="flex flex-wrap gap-2 text-sm">
          {columns.map((column) => (
            <li key={column.name} className="rounded border px-2 py-0.5 font-mono">
              {column.name} <span className="text-muted-foreground">{column.type}</span>
              {column.primary_key ? <span className="ml-1 text-xs text-muted-foreground">{t("pipelines.wizard.files.key")}</span> : null}
            </li>
          ))}
        </ul>
      )}
      {preview.isPending ? (
        <p className="text-sm text-muted-foreground">{t("pipelines.wizard.files.readingPage")}</p>
      ) : preview.isError ? (
        <ErrorAlert error={preview.error} title={t("pipelines.wizard.files.previewFailed")} />
      ) : preview.data.rows.length > 0 ? (
        <div className="flex flex-col gap-1">
          <div className="max-h-80 overflow-auto">
            <Table aria-label={rowsLabel}>
              <TableHeader>
                <TableRow>
                  {preview.data.columns.map((column) => (
                    <TableHead key={column.name} className="font-mono">
                      {column.name}
                    </TableHead>
                  ))}
                </TableRow>
              </TableHeader>
              <TableBody>
                {preview.data.rows.map((row, i) => (
                  // The rows of a page have no identity of their own but their place.
                  <TableRow key={i}>
                    {preview.data.columns.map((column, j) => (
                      <TableCell key={column.name} className="max-w-64 truncate font-mono text-xs">
                        {cellText(row[j])}
                      </TableCell>
                    ))}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </div>
          {preview.data.truncated ? (
            <p className="text-xs text-muted-foreground">{t("pipelines.wizard.files.firstRows", { count: preview.data.rows.length })}</p>
          ) : null}
          {preview.data.child_tables.length > 0 ? (
            <p className="text-xs text-muted-foreground">{t("pipelines.wizard.files.childTables", { tables: preview.data.child_tables.join(", ") })}</p>
          ) : null}
        </div>
      ) : null}
    </Section>
  );
}

/** A value of a preview row as text; NULL as the empty cell. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}
