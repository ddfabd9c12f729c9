import { ApiError } from "@/api/client";

/** An error to mark at a line of the editor (1-based line and column). */
export type LineError = { line: number; column: number | null; message: string };

/**
 * The errors of a failed save or compile that point into the edited model: the problem's
 * `errors[]` with a line whose file is one of this model's paths (`models/<path>`) or has no file. Errors
 * in other files (a macro, another model) are left to the general error message.
 */
export function lineErrors(error: unknown, modelPaths: readonly string[]): LineError[] {
  if (!(error instanceof ApiError)) return [];
  const out: LineError[] = [];
  for (const item of error.problem?.errors ?? []) {
    if (item.line === undefined || item.line < 1) continue;
    if (item.file !== undefined && item.file !== "" && !modelPaths.some((path) => isModelFile(item.file ?? "", path))) continue;
    out.push({ line: item.line, column: item.column ?? null, message: item.message });
  }
  return out;
}

function isModelFile(file: string, modelPath: string): boolean {
  const path = modelPath.replace(/^\/+/, "");
  return file === path || file === `models/${path}` || file === `snapshots/${path}` || file.endsWith(`/${path}`);
}

/** The default path of a model named `name` (`<name>.sql`), or the folder of `path` with the new name. */
export function pathFor(name: string, folder: string): string {
  const clean = folder.trim().replace(/^\/+|\/+$/g, "");
  return clean === "" ? `${name}.sql` : `${clean}/${name}.sql`;
}

/** A model name dbt accepts. */
export const modelNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
