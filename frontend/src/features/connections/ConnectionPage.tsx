import { useQuery } from "@tanstack/react-query";
import { Link, Outlet, useNavigate, useParams } from "@tanstack/react-router";
import { PencilIcon, Trash2Icon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { ErrorAlert } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { useHasRole } from "@/features/auth/hooks";
import { connectionQuery, connectionTypesQuery, type Connection } from "./api";
import { DirectionBadge, TestButton, TestOutcome, TypeIcon } from "./common";
import { DeleteConnectionDialog, useDeleteConnection } from "./ConnectionsPage";

/** The id of the connection in the URL. */
export function useConnectionId(): number {
  const { connectionId } = useParams({ strict: false });
  return connectionId ?? 0;
}

/** A connection's page: its summary and actions, then the schema browser or the SQL console. */
export function ConnectionPage() {
  const { t } = useTranslation();
  const id = useConnectionId();
  const connection = useQuery(connectionQuery(id));
  if (connection.isPending) return <Loading />;
  if (connection.isError) {
    return (
      <div className="flex flex-col gap-6">
        <PageHeader title={t("nav.connections")} description={t("sections.connections.description")} />
        <ErrorAlert error={connection.error} title={t("connections.loadOneFailed")} />
      </div>
    );
  }
  return <ConnectionView connection={connection.data} />;
}

function ConnectionView({ connection }: { connection: Connection }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const types = useQuery(connectionTypesQuery);
  const canEdit = useHasRole("editor");
  const canDelete = useHasRole("admin");
  const remove = useDeleteConnection(() => {
    void navigate({ to: "/connections" });
  });
  const label = types.data?.find((type) => type.name === connection.type)?.label ?? connection.type;
  const tabClass =
    "-mb-px border-b-2 px-3 py-2 text-sm font-medium hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none";
  const activeProps = { className: "border-primary text-foreground", "aria-current": "page" as const };
  const inactiveProps = { className: "border-transparent text-muted-foreground" };
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={connection.name}
        description={connection.managed ? `${label} · ${t("connections.managed")}` : label}
        eyebrow={t("nav.connections")}
        actions={
          <>
            {canEdit && !connection.managed ? (
              <Button asChild variant="outline">
                <Link to="/connections/$connectionId/edit" params={{ connectionId: connection.id }}>
                  <PencilIcon aria-hidden="true" />
                  {t("connections.edit")}
                </Link>
              </Button>
            ) : null}
            {canDelete ? (
              <Button
                variant="outline"
                onClick={() => {
                  remove.ask(connection);
                }}
              >
                <Trash2Icon aria-hidden="true" />
                {t("connections.delete")}
              </Button>
            ) : null}
          </>
        }
      />
      <div className="flex flex-col gap-4 rounded-lg border p-4 sm:flex-row sm:items-start sm:justify-between">
        <div className="flex flex-col gap-2">
          <span className="flex items-center gap-2 text-sm">
            <TypeIcon type={connection.type} />
            {label}
            <DirectionBadge direction={connection.direction} />
          </span>
          <span className="flex flex-col gap-1 text-sm">
            <span className="text-muted-foreground">{t("connections.columns.lastTest")}</span>
            {connection.last_test ? (
              <TestOutcome result={connection.last_test} compact />
            ) : (
              <span className="text-muted-foreground">{t("connections.test.never")}</span>
            )}
          </span>
        </div>
        {canEdit ? <TestButton target={() => ({ id: connection.id })} /> : null}
      </div>
      <nav aria-label={t("connections.tabs.label")} className="flex gap-1 border-b">
        <Link
          to="/connections/$connectionId"
          params={{ connectionId: connection.id }}
          activeOptions={{ exact: true }}
          className={tabClass}
          activeProps={activeProps}
          inactiveProps={inactiveProps}
        >
          {t("connections.tabs.schema")}
        </Link>
        <Link
          to="/connections/$connectionId/query"
          params={{ connectionId: connection.id }}
          className={tabClass}
          activeProps={activeProps}
          inactiveProps={inactiveProps}
        >
          {t("connections.tabs.query")}
        </Link>
      </nav>
      <Outlet />
      <DeleteConnectionDialog remove={remove} />
    </div>
  );
}
