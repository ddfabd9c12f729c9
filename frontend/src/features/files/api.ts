import { queryOptions } from "@tanstack/react-query";
import { api, ApiError, type Schemas } from "@/api/client";
import { unwrap } from "@/api/unwrap";
import { session } from "@/features/auth/auth";

export type UploadedFile = Schemas["File"];

/** The query keys of uploaded files. */
export const fileKeys = {
  all: ["files"] as const,
};

export const filesQuery = queryOptions({
  queryKey: fileKeys.all,
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/files", { signal, params: { query: { limit: 500 } } })).items;
  },
});

export type UploadProgress = { loaded: number; total: number };

/**
 * POST /api/v1/files through XMLHttpRequest, which, unlike fetch, reports upload progress. It
 * carries the session's access token like the API client, and when the token has expired (401) it
 * refreshes the session once and sends the file again.
 */
export async function uploadFile(
  file: File,
  { onProgress, signal }: { onProgress?: (progress: UploadProgress) => void; signal?: AbortSignal } = {},
): Promise<UploadedFile> {
  const first = await send(file, session.current?.accessToken, onProgress, signal);
  if (first.status !== 401) return settle(first);
  const fresh = await session.refresh();
  if (!fresh) {
    session.signOut();
    return settle(first);
  }
  return settle(await send(file, fresh.accessToken, onProgress, signal));
}

type Answer = { status: number; body: unknown; headers: Headers };

function settle(answer: Answer): UploadedFile {
  if (answer.status === 201 || answer.status === 200) return answer.body as UploadedFile;
  throw new ApiError(answer.status, answer.body, answer.headers);
}

function send(
  file: File,
  token: string | undefined,
  onProgress: ((progress: UploadProgress) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/files");
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress?.({ loaded: event.loaded, total: event.total });
    });
    xhr.addEventListener("load", () => {
      let body: unknown;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        body = undefined;
      }
      const headers = new Headers();
      const retryAfter = xhr.getResponseHeader("Retry-After");
      if (retryAfter) headers.set("Retry-After", retryAfter);
      resolve({ status: xhr.status, body, headers });
    });
    xhr.addEventListener("error", () => {
      reject(new TypeError("network error"));
    });
    xhr.addEventListener("abort", () => {
      reject(new DOMException("The upload was cancelled.", "AbortError"));
    });
    signal?.addEventListener("abort", () => {
      xhr.abort();
    });
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

/** 1536 → "1.5 KB", in the interface language. */
export function formatBytes(bytes: number, language: string): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 ? 0 : 1;
  return `${new Intl.NumberFormat(language, { maximumFractionDigits: digits }).format(value)} ${units[unit] ?? "B"}`;
}
