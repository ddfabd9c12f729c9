import * as z from "zod/mini";

const text = z.catch(z.optional(z.string().check(z.minLength(1), z.maxLength(100))), undefined);
const instant = z.catch(z.optional(z.iso.datetime({ offset: true })), undefined);

/** The audit log's filters, kept in the URL so that a filtered view can be shared. */
export const auditSearchSchema = z.object({
  action: text,
  resource_type: text,
  actor_id: z.catch(z.optional(z.int().check(z.positive())), undefined),
  since: instant,
  until: instant,
});

export type AuditSearch = z.infer<typeof auditSearchSchema>;
