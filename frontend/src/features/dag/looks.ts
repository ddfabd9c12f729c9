import type { DagRunNodeStatus } from "./api";

/** What colours a node: its status in the highlighted DAG run, else its last run's, else "never". */
export type NodeLook = DagRunNodeStatus | "never";

export const looks: NodeLook[] = ["never", "pending", "queued", "running", "success", "failed", "skipped", "cancelled"];

export const lookClasses: Record<NodeLook, string> = {
  never: "border-border bg-card",
  pending: "border-dashed border-muted-foreground/60 bg-muted",
  queued: "border-sky-400 bg-sky-50 dark:border-sky-500 dark:bg-sky-950",
  running: "border-blue-600 bg-blue-100 ring-2 ring-blue-400/50 motion-safe:animate-pulse dark:border-blue-400 dark:bg-blue-900",
  success: "border-emerald-600 bg-emerald-50 dark:border-emerald-500 dark:bg-emerald-950",
  failed: "border-red-600 bg-red-50 dark:border-red-500 dark:bg-red-950",
  skipped: "border-amber-500 bg-amber-50 dark:border-amber-400 dark:bg-amber-950",
  cancelled: "border-zinc-500 bg-zinc-100 dark:border-zinc-400 dark:bg-zinc-800",
};

export const swatchClasses: Record<NodeLook, string> = {
  never: "border-border bg-card",
  pending: "border-dashed border-muted-foreground/60 bg-muted",
  queued: "border-sky-400 bg-sky-50 dark:bg-sky-950",
  running: "border-blue-600 bg-blue-100 dark:bg-blue-900",
  success: "border-emerald-600 bg-emerald-50 dark:bg-emerald-950",
  failed: "border-red-600 bg-red-50 dark:bg-red-950",
  skipped: "border-amber-500 bg-amber-50 dark:bg-amber-950",
  cancelled: "border-zinc-500 bg-zinc-100 dark:bg-zinc-800",
};
