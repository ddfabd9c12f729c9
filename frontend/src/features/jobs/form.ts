import type { CreateJobRequest, Job, JobCommand } from "./api";

/** The job form's fields, as typed. */
export type JobForm = {
  name: string;
  description: string;
  command: JobCommand;
  select: string;
  exclude: string;
  fullRefresh: boolean;
  threads: string;
  /** The destination whose project the job runs in; null: the Warehouse (the server's default). */
  destination: number | null;
};

export function jobForm(job: Job | null): JobForm {
  return job
    ? {
        name: job.name,
        description: job.description,
        command: job.command,
        select: job.select,
        exclude: job.exclude,
        fullRefresh: job.full_refresh,
        threads: String(job.threads),
        destination: job.destination_connection_id,
      }
    : { name: "", description: "", command: "build", select: "", exclude: "", fullRefresh: false, threads: "4", destination: null };
}

export type JobFormErrors = Partial<Record<"name" | "threads", "required" | "threadsRange">>;

/** What keeps the form from being sent: a name, and threads a whole number from 1 to 32. */
export function jobFormErrors(form: JobForm): JobFormErrors {
  const errors: JobFormErrors = {};
  if (form.name.trim() === "") errors.name = "required";
  const threads = Number(form.threads);
  if (!/^\d+$/.test(form.threads.trim()) || threads < 1 || threads > 32) errors.threads = "threadsRange";
  return errors;
}

/** The body of a create (or a full update) from a valid form. */
export function jobBody(form: JobForm): CreateJobRequest {
  return {
    name: form.name.trim(),
    description: form.description.trim(),
    command: form.command,
    select: form.select.trim(),
    exclude: form.exclude.trim(),
    full_refresh: form.fullRefresh,
    threads: Number(form.threads),
    ...(form.destination === null ? {} : { destination_connection_id: form.destination }),
  };
}
