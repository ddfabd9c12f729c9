import * as z from "zod/mini";

const instant = z.catch(z.optional(z.iso.datetime({ offset: true })), undefined);

/** The runs page's filters, kept in the URL so that a filtered view can be shared and reloaded. */
export const runsSearchSchema = z.object({
  status: z.catch(z.optional(z.enum(["queued", "running", "success", "failed", "cancelled", "skipped"])), undefined),
  target_type: z.catch(z.optional(z.enum(["pipeline", "transformation", "job"])), undefined),
  target_id: z.catch(z.optional(z.int().check(z.positive())), undefined),
  trigger: z.catch(z.optional(z.enum(["manual", "schedule", "dependency", "api", "retry"])), undefined),
  dag_run_id: z.catch(z.optional(z.int().check(z.positive())), undefined),
  since: instant,
  until: instant,
});

export type RunsSearch = z.infer<typeof runsSearchSchema>;
