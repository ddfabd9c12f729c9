import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CalendarPlusIcon, PauseIcon, PencilIcon, PlayIcon, Trash2Icon, TriangleAlertIcon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useConfirmDelete } from "@/components/use-confirm-delete";
import { useHasRole } from "@/features/auth/hooks";
import type { NodeRef } from "@/features/dag/api";
import { NodeLink, NodeTypeIcon } from "@/features/dag/common";
import { deleteSchedule, formatInZone, scheduleKeys, schedulesQuery, updateSchedule, type Schedule, type ScheduleFilter } from "./api";
import { ScheduleDialog } from "./ScheduleForm";

export function SchedulesPage() {
  const { t } = useTranslation();
  const canEdit = useHasRole("editor");
  const [creating, setCreating] = useState(false);
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={t("nav.schedules")}
        description={t("sections.schedules.description")}
        actions={
          canEdit ? (
            <Button
              onClick={() => {
                setCreating(true);
              }}
            >
              <CalendarPlusIcon aria-hidden="true" />
              {t("schedules.create")}
            </Button>
          ) : null
        }
      />
      <SchedulesList filter={{}} showTarget />
      {canEdit ? <ScheduleDialog open={creating} onOpenChange={setCreating} saved={null} /> : null}
    </div>
  );
}

/** The schedules of the org, or of one node, with pause/resume, edit and delete for editors. */
export function SchedulesList({ filter, showTarget, target }: { filter: ScheduleFilter; showTarget: boolean; target?: NodeRef }) {
  const { t, i18n } = useTranslation();
  const canEdit = useHasRole("editor");
  const queryClient = useQueryClient();
  const schedules = useQuery(schedulesQuery(filter));
  const [editing, setEditing] = useState<Schedule | null>(null);
  const [creating, setCreating] = useState(false);
  const toggle = useMutation({
    mutationFn: (schedule: Schedule) => updateSchedule(schedule.id, { is_active: !schedule.is_active }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: scheduleKeys.all }),
  });
  const del = useConfirmDelete({
    remove: (schedule: Schedule) => deleteSchedule(schedule.id),
    onDeleted: () => queryClient.invalidateQueries({ queryKey: scheduleKeys.all }),
  });
  if (schedules.isPending) return <Loading />;
  if (schedules.isError) return <ErrorAlert error={schedules.error} title={t("schedules.loadFailed")} />;
  return (
    <div className="flex flex-col gap-3">
      {target && canEdit ? (
        <div>
          <Button
            variant="outline"
            size="sm"
            onClick={() => {
              setCreating(true);
            }}
          >
            <CalendarPlusIcon aria-hidden="true" />
            {t("schedules.scheduleThis")}
          </Button>
        </div>
      ) : null}
      {toggle.isError ? <ErrorAlert error={toggle.error} title={t("schedules.saveFailed")} /> : null}
      {schedules.data.length === 0 ? (
        <EmptyState>{target ? t("schedules.emptyNode") : t("schedules.empty")}</EmptyState>
      ) : (
        <Table aria-label={t("schedules.tableLabel")}>
          <TableHeader>
            <TableRow>
              {showTarget ? <TableHead>{t("schedules.columns.target")}</TableHead> : null}
              <TableHead>{t("schedules.columns.when")}</TableHead>
              <TableHead>{t("schedules.columns.zone")}</TableHead>
              <TableHead>{t("schedules.columns.next")}</TableHead>
              <TableHead>{t("schedules.columns.state")}</TableHead>
              {canEdit ? (
                <TableHead>
                  <span className="sr-only">{t("common.actions")}</span>
                </TableHead>
              ) : null}
            </TableRow>
          </TableHeader>
          <TableBody>
            {schedules.data.map((schedule) => (
              <TableRow key={schedule.id} data-schedule={schedule.id}>
                {showTarget ? (
                  <TableCell className="font-medium">
                    <span className="flex items-center gap-2">
                      <NodeTypeIcon type={schedule.target_type} />
                      <NodeLink type={schedule.target_type} id={schedule.target_id}>
                        {schedule.target_name}
                      </NodeLink>
                    </span>
                  </TableCell>
                ) : null}
                <TableCell>
                  <code className="font-mono text-xs">{schedule.cron}</code>
                  <span className="block text-xs text-muted-foreground">{schedule.description}</span>
                  {schedule.downstream ? <span className="block text-xs text-muted-foreground">{t("schedules.withDownstream")}</span> : null}
                </TableCell>
                <TableCell className="whitespace-nowrap">{schedule.timezone}</TableCell>
                <TableCell className="whitespace-nowrap">
                  {schedule.next_fire_at ? (
                    <time dateTime={schedule.next_fire_at}>{formatInZone(schedule.next_fire_at, schedule.timezone, i18n.language)}</time>
                  ) : (
                    "—"
                  )}
                  {schedule.overdue ? (
                    <span className="flex items-center gap-1 text-xs text-destructive">
                      <TriangleAlertIcon aria-hidden="true" className="size-3" />
                      {t("schedules.overdue")}
                    </span>
                  ) : null}
                </TableCell>
                <TableCell>
                  <Badge variant={schedule.is_active ? "success" : "outline"}>{schedule.is_active ? t("schedules.active") : t("schedules.paused")}</Badge>
                </TableCell>
                {canEdit ? (
                  <TableCell className="text-right whitespace-nowrap">
                    <Button
                      variant="ghost"
                      size="sm"
                      disabled={toggle.isPending}
                      aria-label={`${schedule.is_active ? t("schedules.pause") : t("schedules.resume")} ${schedule.target_name}`}
                      onClick={() => {
                        toggle.mutate(schedule);
                      }}
                    >
                      {schedule.is_active ? <PauseIcon aria-hidden="true" /> : <PlayIcon aria-hidden="true" />}
                      {schedule.is_active ? t("schedules.pause") : t("schedules.resume")}
                    </Button>
                    <Button
                      variant="ghost"
                      size="sm"
                      aria-label={`${t("schedules.edit")} ${schedule.target_name}`}
                      onClick={() => {
                        setEditing(schedule);
                      }}
                    >
                      <PencilIcon aria-hidden="true" />
                      {t("schedules.edit")}
                    </Button>
                    <Button
                      variant="ghost"
                      size="sm"
                      aria-label={`${t("schedules.delete")} ${schedule.target_name}`}
                      onClick={() => {
                        del.ask(schedule);
                      }}
                    >
                      <Trash2Icon aria-hidden="true" />
                      {t("schedules.delete")}
                    </Button>
                  </TableCell>
                ) : null}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {canEdit ? (
        <>
          <ScheduleDialog
            open={editing !== null}
            onOpenChange={(open) => {
              if (!open) setEditing(null);
            }}
            saved={editing}
          />
          {target ? <ScheduleDialog open={creating} onOpenChange={setCreating} saved={null} target={target} /> : null}
        </>
      ) : null}
      <ConfirmDialog
        {...del.dialog}
        title={t("schedules.deleteTitle", { name: del.target?.target_name ?? "" })}
        description={t("schedules.deleteBody")}
        confirmLabel={t("schedules.delete")}
      />
    </div>
  );
}
