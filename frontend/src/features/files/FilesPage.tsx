import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Trash2Icon, UploadIcon } from "lucide-react";
import { useId, useRef, useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "@/api/client";
import { unwrap } from "@/api/unwrap";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorAlert, useDescribeError } from "@/components/form";
import { Loading } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Label } from "@/components/ui/input";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useConfirmDelete } from "@/components/use-confirm-delete";
import { useHasRole } from "@/features/auth/hooks";
import { useFormatDateTime } from "@/lib/datetime";
import { fileKeys, filesQuery, formatBytes, uploadFile, type UploadedFile, type UploadProgress } from "./api";

export function FilesPage() {
  const { t } = useTranslation();
  const canUpload = useHasRole("editor");
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={t("nav.files")} description={t("sections.files.description")} />
      {canUpload ? <UploadForm /> : null}
      <FilesTable />
    </div>
  );
}

/** How many of the detected columns the list names before "and N more". */
const shownColumns = 4;

function UploadForm() {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const describe = useDescribeError();
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const upload = useMutation({
    mutationFn: (chosen: File) =>
      uploadFile(chosen, {
        onProgress: setProgress,
      }),
    onSuccess: async () => {
      setFile(null);
      if (input.current) input.current.value = "";
      await queryClient.invalidateQueries({ queryKey: fileKeys.all });
    },
    onSettled: () => {
      setProgress(null);
    },
  });

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    if (file) upload.mutate(file);
  }

  const percent = progress && progress.total > 0 ? Math.round((progress.loaded / progress.total) * 100) : 0;
  const tooLarge = upload.error instanceof ApiError && upload.error.status === 413;

  return (
    <form onSubmit={submit} className="flex flex-col gap-3 rounded-lg border p-4" aria-label={t("files.upload")}>
      <div className="flex flex-col gap-2">
        <Label htmlFor={inputId}>{t("files.choose")}</Label>
        <input
          ref={input}
          id={inputId}
          type="file"
          accept=".csv,.tsv,.jsonl,.ndjson,.json,.parquet,.sqlite,.db,.gz"
          className="text-sm file:mr-3 file:rounded-md file:border file:bg-background file:px-3 file:py-1 file:text-sm"
          disabled={upload.isPending}
          onChange={(event) => {
            upload.reset();
            setFile(event.target.files?.[0] ?? null);
          }}
        />
        <p className="text-xs text-muted-foreground">{t("files.formats")}</p>
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={!file || upload.isPending}>
          <UploadIcon aria-hidden="true" />
          {upload.isPending ? t("files.uploading") : t("files.upload")}
        </Button>
        {file ? (
          <span className="text-sm text-muted-foreground">
            {file.name} ({formatBytes(file.size, i18n.language)})
          </span>
        ) : null}
      </div>
      {upload.isPending ? (
        <div className="flex items-center gap-3">
          <div
            role="progressbar"
            aria-label={t("files.progress")}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
            className="h-2 w-full max-w-md overflow-hidden rounded-full bg-muted"
          >
            <div className="h-full bg-primary transition-[width]" style={{ width: `${String(percent)}%` }} />
          </div>
          <span className="text-sm text-muted-foreground tabular-nums">{percent}%</span>
        </div>
      ) : null}
      {tooLarge ? (
        <Alert variant="destructive" role="alert">
          <AlertTitle>{t("files.tooLargeTitle")}</AlertTitle>
          <AlertDescription>
            <p>{t("files.tooLarge", { detail: describe(upload.error) })}</p>
          </AlertDescription>
        </Alert>
      ) : upload.isError ? (
        <ErrorAlert error={upload.error} title={t("files.uploadFailed")} />
      ) : null}
      {upload.isSuccess ? (
        <p role="status" className="text-sm text-success">
          {t("files.uploaded", { name: upload.data.name })}
        </p>
      ) : null}
    </form>
  );
}

function FilesTable() {
  const { t, i18n } = useTranslation();
  const files = useQuery(filesQuery);
  const queryClient = useQueryClient();
  const format = useFormatDateTime();
  const canDelete = useHasRole("admin");
  const remove = useConfirmDelete({
    remove: async (file: UploadedFile) => {
      unwrap(await api.DELETE("/api/v1/files/{id}", { params: { path: { id: file.id } } }));
    },
    onDeleted: () => queryClient.invalidateQueries({ queryKey: fileKeys.all }),
  });
  if (files.isPending) return <Loading />;
  if (files.isError) return <ErrorAlert error={files.error} title={t("files.loadFailed")} />;
  if (files.data.length === 0) return <EmptyState>{t("files.empty")}</EmptyState>;
  return (
    <>
      <Table aria-label={t("files.list")}>
        <TableHeader>
          <TableRow>
            <TableHead>{t("files.columns.name")}</TableHead>
            <TableHead>{t("files.columns.format")}</TableHead>
            <TableHead>{t("files.columns.size")}</TableHead>
            <TableHead>{t("files.columns.sha256")}</TableHead>
            <TableHead>{t("files.columns.detected")}</TableHead>
            <TableHead>{t("files.columns.created")}</TableHead>
            <TableHead>
              <span className="sr-only">{t("common.actions")}</span>
            </TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {files.data.map((file) => {
            const more = file.detected_columns.length - shownColumns;
            return (
              <TableRow key={file.id}>
                <TableCell className="font-medium">{file.name}</TableCell>
                <TableCell>
                  <span className="flex gap-1">
                    <Badge variant="secondary">{file.format}</Badge>
                    {file.compression === "gzip" ? <Badge variant="outline">gzip</Badge> : null}
                  </span>
                </TableCell>
                <TableCell className="whitespace-nowrap tabular-nums">{formatBytes(file.size, i18n.language)}</TableCell>
                <TableCell>
                  <code className="font-mono text-xs" title={file.sha256}>
                    {file.sha256.slice(0, 12)}
                  </code>
                </TableCell>
                <TableCell className="max-w-xs text-xs">
                  {file.detected_columns.length === 0 ? (
                    <span className="text-muted-foreground">{t("files.noColumns")}</span>
                  ) : (
                    <span>
                      {file.detected_columns
                        .slice(0, shownColumns)
                        .map((column) => `${column.name} (${column.type})`)
                        .join(", ")}
                      {more > 0 ? ` ${t("files.moreColumns", { count: more })}` : ""}
                    </span>
                  )}
                </TableCell>
                <TableCell className="whitespace-nowrap">{format(file.created_at)}</TableCell>
                <TableCell className="text-right">
                  {canDelete ? (
                    <Button
                      variant="ghost"
                      size="sm"
                      aria-label={`${t("files.delete")} ${file.name}`}
                      onClick={() => {
                        remove.ask(file);
                      }}
                    >
                      <Trash2Icon aria-hidden="true" />
                      {t("files.delete")}
                    </Button>
                  ) : null}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
      <ConfirmDialog
        {...remove.dialog}
        title={t("files.deleteTitle", { name: remove.target?.name ?? "" })}
        description={t("files.deleteBody")}
        confirmLabel={t("files.delete")}
      />
    </>
  );
}
