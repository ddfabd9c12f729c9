import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { EyeIcon, KeyRoundIcon, RefreshCwIcon, SearchIcon, TableIcon } from "lucide-react";
import { useDeferredValue, useState } from "react";
import { useTranslation } from "react-i18next";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert } from "@/components/form";
import { Loading } from "@/components/loading";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { useFormatDateTime } from "@/lib/datetime";
import { catalogQuery, fetchCatalog, type Catalog } from "./api";
import { useConnectionId } from "./ConnectionPage";

export function SchemaBrowserPage() {
  return <SchemaBrowser connectionId={useConnectionId()} />;
}

/**
 * Keeps the tables whose name matches `search`, with all their columns, and the tables with a
 * matching column, with those columns only. Case-insensitive; an empty search keeps everything.
 */
export function filterCatalog(catalog: Catalog, search: string): Catalog["schemas"] {
  const needle = search.trim().toLowerCase();
  if (needle === "") return catalog.schemas;
  return catalog.schemas
    .map((schema) => ({
      ...schema,
      tables: schema.tables.flatMap((table) => {
        if (table.name.toLowerCase().includes(needle) || `${schema.name}.${table.name}`.toLowerCase() === needle) {
          return [table];
        }
        const columns = table.columns.filter((column) => column.name.toLowerCase().includes(needle));
        return columns.length > 0 ? [{ ...table, columns }] : [];
      }),
    }))
    .filter((schema) => schema.tables.length > 0);
}

/** The schemas, tables and columns of a connection, from its cached catalog; Refresh discovers them again. */
export function SchemaBrowser({ connectionId }: { connectionId: number }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const format = useFormatDateTime();
  const query = catalogQuery(connectionId);
  const catalog = useQuery(query);
  const [search, setSearch] = useState("");
  const deferred = useDeferredValue(search);
  const refresh = useMutation({
    mutationFn: () => fetchCatalog(connectionId, true),
    onSuccess: (fresh) => {
      queryClient.setQueryData(query.queryKey, fresh);
    },
  });

  const toolbar = (
    <div className="flex flex-col gap-2 sm:flex-row sm:items-center sm:justify-between">
      <div className="relative w-full sm:max-w-xs">
        <SearchIcon aria-hidden="true" className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-muted-foreground" />
        <Input
          type="search"
          aria-label={t("connections.browser.search")}
          placeholder={t("connections.browser.searchPlaceholder")}
          className="pl-8"
          value={search}
          onChange={(event) => {
            setSearch(event.target.value);
          }}
        />
      </div>
      <div className="flex items-center gap-3">
        {catalog.data?.refreshed_at ? (
          <span className="text-xs text-muted-foreground">
            {t("connections.browser.refreshedAt", { at: format(catalog.data.refreshed_at) })}
          </span>
        ) : null}
        <Button
          variant="outline"
          size="sm"
          disabled={refresh.isPending}
          onClick={() => {
            refresh.mutate();
          }}
        >
          <RefreshCwIcon aria-hidden="true" className={refresh.isPending ? "animate-spin" : undefined} />
          {refresh.isPending ? t("connections.browser.refreshing") : t("connections.browser.refresh")}
        </Button>
      </div>
    </div>
  );

  let body;
  if (catalog.isPending) body = <Loading />;
  else if (catalog.isError) body = <ErrorAlert error={catalog.error} title={t("connections.browser.loadFailed")} />;
  else {
    const schemas = filterCatalog(catalog.data, deferred);
    const total = catalog.data.schemas.reduce((sum, schema) => sum + schema.tables.length, 0);
    if (total === 0) body = <EmptyState>{t("connections.browser.empty")}</EmptyState>;
    else if (schemas.length === 0) body = <EmptyState>{t("connections.browser.noMatch", { search: deferred.trim() })}</EmptyState>;
    else {
      const searching = deferred.trim() !== "";
      body = (
        <ul aria-label={t("connections.browser.tree")} className="flex flex-col gap-2">
          {schemas.map((schema) => (
            <li key={schema.name}>
              <details open className="group rounded-lg border">
                <summary className="cursor-pointer px-3 py-2 text-sm font-semibold select-none">
                  {schema.name}{" "}
                  <span className="font-normal text-muted-foreground">
                    {t("connections.browser.tableCount", { count: schema.tables.length })}
                  </span>
                </summary>
                <ul className="flex flex-col gap-1 border-t px-3 py-2">
                  {schema.tables.map((table) => (
                    <li key={table.name} data-testid="catalog-table">
                      <details open={searching}>
                        <summary className="flex cursor-pointer items-center gap-2 py-1 text-sm select-none">
                          {table.kind === "view" ? (
                            <EyeIcon aria-hidden="true" className="size-4 text-muted-foreground" />
                          ) : (
                            <TableIcon aria-hidden="true" className="size-4 text-muted-foreground" />
                          )}
                          <span className="font-mono">{table.name}</span>
                          {table.kind === "view" ? <Badge variant="secondary">{t("connections.browser.view")}</Badge> : null}
                          <span className="text-xs text-muted-foreground">
                            {t("connections.browser.columnCount", { count: table.columns.length })}
                          </span>
                        </summary>
                        {table.description ? <p className="ml-6 text-xs text-muted-foreground">{table.description}</p> : null}
                        <ul aria-label={t("connections.browser.columnsOf", { table: table.name })} className="ml-6 flex flex-col border-l pl-3">
                          {table.columns.map((column) => (
                            <li key={column.name} className="flex flex-wrap items-center gap-2 py-0.5 text-sm">
                              <span className="font-mono">{column.name}</span>
                              {column.primary_key ? (
                                <span title={t("connections.browser.primaryKey")} className="inline-flex items-center text-amber-600 dark:text-amber-400">
                                  <KeyRoundIcon aria-hidden="true" className="size-3.5" />
                                  <span className="sr-only">{t("connections.browser.primaryKey")}</span>
                                </span>
                              ) : null}
                              <span className="font-mono text-xs text-muted-foreground">{column.type}</span>
                              <span className="text-xs text-muted-foreground">
                                {column.nullable ? t("connections.browser.nullable") : t("connections.browser.notNull")}
                              </span>
                            </li>
                          ))}
                        </ul>
                      </details>
                    </li>
                  ))}
                </ul>
              </details>
            </li>
          ))}
        </ul>
      );
    }
  }

  return (
    <section aria-label={t("connections.tabs.schema")} className="flex flex-col gap-4">
      {toolbar}
      {refresh.isError ? <ErrorAlert error={refresh.error} title={t("connections.browser.refreshFailed")} /> : null}
      {body}
    </section>
  );
}
