import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { PencilIcon, PlusIcon, Trash2Icon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "@/api/client";
import { unwrap } from "@/api/unwrap";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert } from "@/components/form";
import { Loading } from "@/components/loading";
import { NeedsRole } from "@/components/needs-role";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useConfirmDelete } from "@/components/use-confirm-delete";
import { useHasRole } from "@/features/auth/hooks";
import { connectionKeys, connectionQuery, connectionsQuery, connectionTypesQuery, type Connection, type ConnectionType } from "./api";
import { DirectionBadge, TestOutcome, TypeIcon } from "./common";
import { ConnectionForm, TypePicker } from "./ConnectionForm";

export function ConnectionsPage() {
  const { t } = useTranslation();
  const canEdit = useHasRole("editor");
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={t("nav.connections")}
        description={t("sections.connections.description")}
        actions={
          canEdit ? (
            <Button asChild>
              <Link to="/connections/new">
                <PlusIcon aria-hidden="true" />
                {t("connections.new")}
              </Link>
            </Button>
          ) : null
        }
      />
      <ConnectionsTable />
    </div>
  );
}

function ConnectionsTable() {
  const { t } = useTranslation();
  const connections = useQuery(connectionsQuery);
  const types = useQuery(connectionTypesQuery);
  const canEdit = useHasRole("editor");
  const canDelete = useHasRole("admin");
  const remove = useDeleteConnection();
  if (connections.isPending) return <Loading />;
  if (connections.isError) return <ErrorAlert error={connections.error} title={t("connections.loadFailed")} />;
  if (connections.data.length === 0) return <EmptyState>{t("connections.empty")}</EmptyState>;
  const labels = new Map((types.data ?? []).map((type) => [type.name, type.label]));
  return (
    <>
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>{t("connections.columns.name")}</TableHead>
            <TableHead>{t("connections.columns.type")}</TableHead>
            <TableHead>{t("connections.columns.direction")}</TableHead>
            <TableHead>{t("connections.columns.lastTest")}</TableHead>
            <TableHead>
              <span className="sr-only">{t("common.actions")}</span>
            </TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {connections.data.map((connection) => (
            <TableRow key={connection.id}>
              <TableCell className="font-medium">
                <Link
                  to="/connections/$connectionId"
                  params={{ connectionId: connection.id }}
                  className="flex items-center gap-2 hover:underline"
                >
                  <TypeIcon type={connection.type} />
                  {connection.name}
                </Link>
              </TableCell>
              <TableCell>{labels.get(connection.type) ?? connection.type}</TableCell>
              <TableCell>
                <DirectionBadge direction={connection.direction} />
              </TableCell>
              <TableCell className="max-w-xs">
                {connection.last_test ? (
                  <TestOutcome result={connection.last_test} compact />
                ) : (
                  <span className="text-sm text-muted-foreground">{t("connections.test.never")}</span>
                )}
              </TableCell>
              <TableCell>
                <span className="flex items-center justify-end gap-1">
                  {canEdit && !connection.managed ? (
                    <Button asChild variant="ghost" size="sm">
                      <Link
                        to="/connections/$connectionId/edit"
                        params={{ connectionId: connection.id }}
                        aria-label={`${t("connections.edit")} ${connection.name}`}
                      >
                        <PencilIcon aria-hidden="true" />
                        {t("connections.edit")}
                      </Link>
                    </Button>
                  ) : null}
                  {canDelete ? (
                    <Button
                      variant="ghost"
                      size="sm"
                      aria-label={`${t("connections.delete")} ${connection.name}`}
                      onClick={() => {
                        remove.ask(connection);
                      }}
                    >
                      <Trash2Icon aria-hidden="true" />
                      {t("connections.delete")}
                    </Button>
                  ) : null}
                </span>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <DeleteConnectionDialog remove={remove} />
    </>
  );
}

/** Deletes a connection after confirmation; `onDeleted` runs before the list is refetched. */
export function useDeleteConnection(onDeleted?: () => void) {
  const queryClient = useQueryClient();
  return useConfirmDelete({
    remove: async (connection: Connection) => {
      unwrap(await api.DELETE("/api/v1/connections/{id}", {
        params: { path: { id: connection.id } },
      }));
    },
    onDeleted: async () => {
      onDeleted?.();
      await queryClient.invalidateQueries({ queryKey: connectionKeys.all });
    },
  });
}

export function DeleteConnectionDialog({ remove }: { remove: ReturnType<typeof useDeleteConnection> }) {
  const { t } = useTranslation();
  return (
    <ConfirmDialog
      {...remove.dialog}
      title={t("connections.deleteTitle", { name: remove.target?.name ?? "" })}
      description={t("connections.deleteBody")}
      confirmLabel={t("connections.delete")}
    />
  );
}

export function NewConnectionPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const canEdit = useHasRole("editor");
  const types = useQuery(connectionTypesQuery);
  const [type, setType] = useState<ConnectionType | null>(null);
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={t("connections.newTitle")} description={t("connections.newDescription")} eyebrow={t("nav.connections")} />
      {!canEdit ? (
        <NeedsRole role="editor" what={t("connections.editorOnly")} />
      ) : types.isPending ? (
        <Loading />
      ) : types.isError ? (
        <ErrorAlert error={types.error} title={t("connections.typesFailed")} />
      ) : type ? (
        <ConnectionForm
          key={type.name}
          type={type}
          onBack={() => {
            setType(null);
          }}
          onSaved={(saved) => {
            void navigate({ to: "/connections/$connectionId", params: { connectionId: saved.id } });
          }}
        />
      ) : (
        <TypePicker types={types.data} onPick={setType} />
      )}
    </div>
  );
}

export function EditConnectionPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { connectionId } = useParams({ strict: false });
  const id = connectionId ?? 0;
  const canEdit = useHasRole("editor");
  const connection = useQuery(connectionQuery(id));
  const types = useQuery(connectionTypesQuery);
  const type = types.data?.find((candidate) => candidate.name === connection.data?.type);
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={connection.data ? t("connections.editTitle", { name: connection.data.name }) : t("connections.edit")}
        description={t("connections.editDescription")}
        eyebrow={t("nav.connections")}
      />
      {!canEdit ? (
        <NeedsRole role="editor" what={t("connections.editorOnly")} />
      ) : connection.isPending || types.isPending ? (
        <Loading />
      ) : connection.isError ? (
        <ErrorAlert error={connection.error} title={t("connections.loadOneFailed")} />
      ) : types.isError ? (
        <ErrorAlert error={types.error} title={t("connections.typesFailed")} />
      ) : !type ? (
        <Alert variant="destructive" role="alert">
          <AlertTitle>{t("connections.typeUnavailable", { type: connection.data.type })}</AlertTitle>
        </Alert>
      ) : (
        <ConnectionForm
          type={type}
          connection={connection.data}
          onSaved={(saved) => {
            void navigate({ to: "/connections/$connectionId", params: { connectionId: saved.id } });
          }}
        />
      )}
    </div>
  );
}

