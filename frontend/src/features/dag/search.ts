import * as z from "zod/mini";

/** The DAG page's URL: `?dag_run=` highlights one DAG run (its nodes coloured by their status in it). */
export const dagSearchSchema = z.object({
  dag_run: z.catch(z.optional(z.int().check(z.positive())), undefined),
});

export type DagSearch = z.infer<typeof dagSearchSchema>;
