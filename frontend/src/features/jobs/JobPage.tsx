import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { NetworkIcon, PlayIcon, SaveIcon, TrashIcon } from "lucide-react";
import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "@/api/client";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ErrorAlert, Field } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { useConfirmDelete } from "@/components/use-confirm-delete";
import { Button } from "@/components/ui/button";
import { Input, NativeSelect } from "@/components/ui/input";
import { useHasRole } from "@/features/auth/hooks";
import { NodeOrchestration } from "@/features/dag/NodeOrchestration";
import { DestinationSelect } from "@/features/transformations/DestinationSelect";
import { runKeys, runQuery } from "@/features/runs/api";
import { useDebounced } from "@/lib/use-debounced";
import { createJob, deleteJob, jobCommands, jobKeys, jobPlanQuery, jobQuery, triggerJobRun, updateJob, type Job, type JobCommand } from "./api";
import { jobBody, jobForm, jobFormErrors, type JobForm } from "./form";

export function NewJobPage() {
  return <JobEditor key="new" saved={null} />;
}

export function JobPage() {
  const { t } = useTranslation();
  const { jobId } = useParams({ strict: false });
  const job = useQuery(jobQuery(jobId ?? 0));
  if (job.isPending) return <Loading />;
  if (job.isError) return <ErrorAlert error={job.error} title={t("jobs.loadOneFailed")} />;
  return <JobEditor key={job.data.id} saved={job.data} />;
}

function JobEditor({ saved }: { saved: Job | null }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const canEdit = useHasRole("editor");
  const [form, setForm] = useState<JobForm>(() => jobForm(saved));
  const [touched, setTouched] = useState(false);
  const errors = jobFormErrors(form);
  const fullRefreshId = useId();

  const save = useMutation({
    mutationFn: () => (saved ? updateJob(saved.id, jobBody(form)) : createJob(jobBody(form))),
    onSuccess: async (job) => {
      queryClient.setQueryData(jobKeys.detail(job.id), job);
      await queryClient.invalidateQueries({ queryKey: jobKeys.all });
      if (!saved) void navigate({ to: "/jobs/$jobId", params: { jobId: job.id } });
    },
  });
  const run = useMutation({
    mutationFn: (downstream: boolean) => triggerJobRun(saved?.id ?? 0, downstream),
    onSuccess: async (created) => {
      queryClient.setQueryData(runQuery(created.id).queryKey, created);
      await queryClient.invalidateQueries({ queryKey: runKeys.lists() });
      if (created.dag_run_id) void navigate({ to: "/dag", search: { dag_run: created.dag_run_id } });
      else void navigate({ to: "/runs/$runId", params: { runId: created.id } });
    },
  });
  const del = useConfirmDelete({
    remove: (job: Job) => deleteJob(job.id),
    closeOnSuccess: false,
    onDeleted: async () => {
      await queryClient.invalidateQueries({ queryKey: jobKeys.all });
      void navigate({ to: "/jobs" });
    },
  });
  const fieldErrors = save.error instanceof ApiError ? save.error.fieldErrors : {};
  const show = (key: "name" | "threads") => (touched && errors[key] ? t(`jobs.errors.${errors[key]}`) : fieldErrors[key]);
  const set = <K extends keyof JobForm>(key: K, value: JobForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
  };

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={saved ? saved.name : t("jobs.newTitle")}
        description={t("sections.jobs.description")}
        eyebrow={t("nav.jobs")}
        actions={
          <>
            <Button asChild variant="outline">
              <Link to="/jobs">{t("jobs.backToList")}</Link>
            </Button>
            {saved && canEdit ? (
              <>
                <Button
                  disabled={run.isPending}
                  onClick={() => {
                    run.mutate(false);
                  }}
                >
                  <PlayIcon aria-hidden="true" />
                  {t("jobs.runNow")}
                </Button>
                <Button
                  variant="outline"
                  disabled={run.isPending}
                  title={t("orchestration.runWithDownstreamHint")}
                  onClick={() => {
                    run.mutate(true);
                  }}
                >
                  <NetworkIcon aria-hidden="true" />
                  {t("orchestration.runWithDownstream")}
                </Button>
                <Button
                  variant="outline"
                  onClick={() => {
                    del.ask(saved);
                  }}
                >
                  <TrashIcon aria-hidden="true" />
                  {t("jobs.delete")}
                </Button>
              </>
            ) : null}
          </>
        }
      />
      {run.isError ? <ErrorAlert error={run.error} title={t("jobs.runFailed")} /> : null}
      <form
        className="grid max-w-3xl gap-4 sm:grid-cols-2"
        onSubmit={(event) => {
          event.preventDefault();
          setTouched(true);
          if (Object.keys(errors).length === 0) save.mutate();
        }}
      >
        <Field label={t("jobs.fields.name")} error={show("name")}>
          {(props) => <Input {...props} value={form.name} disabled={!canEdit} onChange={(e) => { set("name", e.target.value); }} />}
        </Field>
        <Field label={t("jobs.fields.command")}>
          {(props) => (
            <NativeSelect {...props} value={form.command} disabled={!canEdit} onChange={(e) => { set("command", e.target.value as JobCommand); }}>
              {jobCommands.map((command) => (
                <option key={command} value={command}>
                  {command}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        <Field label={t("jobs.fields.select")} hint={t("jobs.selectHint")} error={fieldErrors.select}>
          {(props) => <Input {...props} className="font-mono" value={form.select} disabled={!canEdit} placeholder="tag:nightly +orders" onChange={(e) => { set("select", e.target.value); }} />}
        </Field>
        <Field label={t("jobs.fields.exclude")} error={fieldErrors.exclude}>
          {(props) => <Input {...props} className="font-mono" value={form.exclude} disabled={!canEdit} onChange={(e) => { set("exclude", e.target.value); }} />}
        </Field>
        <Field label={t("jobs.fields.threads")} error={show("threads")}>
          {(props) => <Input {...props} inputMode="numeric" value={form.threads} disabled={!canEdit} onChange={(e) => { set("threads", e.target.value); }} />}
        </Field>
        <Field label={t("jobs.fields.destination")} error={fieldErrors.destination_connection_id}>
          {(props) => (
            <DestinationSelect
              {...props}
              value={form.destination}
              disabled={!canEdit}
              onChange={(destination) => {
                set("destination", destination);
              }}
            />
          )}
        </Field>
        <Field label={t("jobs.fields.description")}>
          {(props) => <Input {...props} value={form.description} disabled={!canEdit} onChange={(e) => { set("description", e.target.value); }} />}
        </Field>
        <label htmlFor={fullRefreshId} className="flex items-center gap-2 text-sm sm:col-span-2">
          <input id={fullRefreshId} type="checkbox" checked={form.fullRefresh} disabled={!canEdit} onChange={(e) => { set("fullRefresh", e.target.checked); }} />
          {t("jobs.fields.fullRefresh")}
        </label>
        <div className="sm:col-span-2">
          <SelectionPreview
            command={form.command}
            select={form.select.trim()}
            exclude={form.exclude.trim()}
            destination={form.destination ?? undefined}
          />
        </div>
        {save.isError ? (
          <div className="sm:col-span-2">
            <ErrorAlert error={save.error} title={t("jobs.saveFailed")} />
          </div>
        ) : null}
        {canEdit ? (
          <div className="sm:col-span-2">
            <Button type="submit" disabled={save.isPending}>
              <SaveIcon aria-hidden="true" />
              {save.isPending ? t("jobs.saving") : t("jobs.save")}
            </Button>
            {save.isSuccess && saved ? <span className="ml-3 text-sm text-success">{t("jobs.saved")}</span> : null}
          </div>
        ) : null}
      </form>
      {saved ? <NodeOrchestration node={{ type: "job", id: saved.id }} /> : null}
      <ConfirmDialog
        {...del.dialog}
        title={t("jobs.deleteTitle", { name: del.target?.name ?? "" })}
        description={t("jobs.deleteBody")}
        confirmLabel={t("jobs.delete")}
      />
    </div>
  );
}

/** The most nodes the preview lists by name; the count is always whole. */
const previewLimit = 50;

/** Which nodes the job would execute, following the selector as it is typed. */
function SelectionPreview({ command, select, exclude, destination }: { command: JobCommand; select: string; exclude: string; destination?: number }) {
  const { t } = useTranslation();
  const settledSelect = useDebounced(select);
  const settledExclude = useDebounced(exclude);
  const plan = useQuery(
    jobPlanQuery({ command, select: settledSelect, exclude: settledExclude, ...(destination === undefined ? {} : { destination_connection_id: destination }) }),
  );
  const headingId = useId();
  let content;
  if (plan.isPending) {
    content = <p className="text-sm text-muted-foreground">{t("jobs.preview.loading")}</p>;
  } else if (plan.isError) {
    content = (
      <p role="alert" className="text-sm text-destructive">
        {plan.error instanceof ApiError ? (plan.error.fieldErrors.select ?? plan.error.message) : t("jobs.preview.failed")}
      </p>
    );
  } else if (plan.data.length === 0) {
    content = <p className="text-sm text-muted-foreground">{t("jobs.preview.none")}</p>;
  } else {
    content = (
      <>
        <p className="text-sm">{t("jobs.preview.count", { count: plan.data.length })}</p>
        <ol className="mt-2 grid gap-1 font-mono text-xs sm:grid-cols-2">
          {plan.data.slice(0, previewLimit).map((node) => (
            <li key={node.unique_id} title={node.unique_id}>
              <span className="text-muted-foreground">{node.resource_type}</span> {node.name}
            </li>
          ))}
        </ol>
        {plan.data.length > previewLimit ? (
          <p className="mt-1 text-xs text-muted-foreground">{t("jobs.preview.more", { count: plan.data.length - previewLimit })}</p>
        ) : null}
      </>
    );
  }
  return (
    <section aria-labelledby={headingId} className="rounded-md border p-3">
      <h2 id={headingId} className="text-sm font-medium">
        {t("jobs.preview.title")}
      </h2>
      <div className="mt-1">{content}</div>
    </section>
  );
}
