import { useQueryClient } from "@tanstack/react-query";
import { ArrowDownToLineIcon, DownloadIcon } from "lucide-react";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ErrorAlert } from "@/components/form";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { cn } from "@/lib/utils";
import { followRunLogs, runQuery, type FollowMode, type RunLogLine } from "./api";

const levelClass: Record<RunLogLine["level"], string> = {
  debug: "text-muted-foreground",
  info: "text-primary",
  warn: "text-warning",
  error: "text-destructive",
};

function fieldsText(fields: RunLogLine["fields"]): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}

/** A line as plain text: time, level, message and fields. */
export function lineText(line: RunLogLine): string {
  const fields = fieldsText(line.fields);
  return `${line.at} ${line.level.toUpperCase()} ${line.message}${fields ? ` ${fields}` : ""}`;
}

function timeOf(at: string): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return at;
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 0);
}

/**
 * A run's log, live: streamed while the run goes on (or polled when the stream is unavailable),
 * auto-scrolled until the reader scrolls up, searchable, coloured by level and downloadable.
 */
export function LogViewer({ runId }: { runId: number }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [lines, setLines] = useState<RunLogLine[]>([]);
  const [mode, setMode] = useState<FollowMode>("connecting");
  const [error, setError] = useState<unknown>(null);
  const [query, setQuery] = useState("");
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    const { queryKey } = runQuery(runId);
    followRunLogs({
      runId,
      signal: controller.signal,
      onLines: (fresh) => {
        setLines((current) => [...current, ...fresh]);
      },
      onRun: (run) => {
        queryClient.setQueryData(queryKey, run);
      },
      onMode: (next) => {
        setMode(next);
        // The final stats and status arrive with the run; read it once the log is complete.
        if (next === "done") void queryClient.invalidateQueries({ queryKey });
      },
    }).catch((failure: unknown) => {
      if (!controller.signal.aborted) setError(failure);
    });
    return () => {
      controller.abort();
    };
  }, [runId, queryClient]);

  const shown = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return needle ? lines.filter((line) => lineText(line).toLowerCase().includes(needle)) : lines;
  }, [lines, query]);

  useLayoutEffect(() => {
    const element = box.current;
    if (follow && element) element.scrollTop = element.scrollHeight;
  }, [shown, follow]);

  return (
    <section aria-labelledby="run-logs" className="flex flex-col gap-3">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
        <h2 id="run-logs" className="text-lg font-semibold">
          {t("runs.logs.title")}
        </h2>
        <div className="flex flex-wrap items-center gap-2">
          <span className="text-xs text-muted-foreground" role="status" aria-live="polite">
            {t(`runs.logs.mode.${mode}`)}
          </span>
          <Input
            type="search"
            aria-label={t("runs.logs.search")}
            placeholder={t("runs.logs.search")}
            className="w-48"
            value={query}
            onChange={(event) => {
              setQuery(event.target.value);
            }}
          />
          <Button
            variant="outline"
            size="sm"
            disabled={lines.length === 0}
            onClick={() => {
              download(`run-${String(runId)}.jsonl`, lines.map((line) => JSON.stringify(line)).join("\n") + "\n", "application/x-ndjson");
            }}
          >
            <DownloadIcon aria-hidden="true" />
            {t("runs.logs.downloadJsonl")}
          </Button>
          <Button
            variant="outline"
            size="sm"
            disabled={lines.length === 0}
            onClick={() => {
              download(`run-${String(runId)}.log`, lines.map(lineText).join("\n") + "\n", "text/plain");
            }}
          >
            <DownloadIcon aria-hidden="true" />
            {t("runs.logs.downloadText")}
          </Button>
        </div>
      </div>
      {error ? <ErrorAlert error={error} title={t("runs.logs.failed")} /> : null}
      <div className="relative">
        <div
          ref={box}
          role="log"
          aria-label={t("runs.logs.title")}
          tabIndex={0}
          onScroll={(event) => {
            const element = event.currentTarget;
            const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
            if (atBottom !== follow) setFollow(atBottom);
          }}
          className="h-96 overflow-auto rounded-lg border bg-muted/30 p-2 font-mono text-xs leading-5 focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
        >
          {shown.length === 0 ? (
            <p className="p-2 text-muted-foreground">
              {lines.length === 0 ? (mode === "done" ? t("runs.logs.none") : t("runs.logs.waiting")) : t("runs.logs.noMatch")}
            </p>
          ) : (
            <ol>
              {shown.map((line) => {
                const fields = fieldsText(line.fields);
                return (
                  <li key={line.seq} data-level={line.level} className="flex gap-2 whitespace-pre-wrap break-all">
                    <time dateTime={line.at} className="shrink-0 text-muted-foreground">
                      {timeOf(line.at)}
                    </time>
                    <span className={cn("w-12 shrink-0 font-semibold uppercase", levelClass[line.level])}>{line.level}</span>
                    <span className={cn(line.level === "error" && "text-destructive")}>
                      {line.message}
                      {fields ? <span className="text-muted-foreground"> {fields}</span> : null}
                    </span>
                  </li>
                );
              })}
            </ol>
          )}
        </div>
        {!follow ? (
          <Button
            size="sm"
            variant="secondary"
            className="absolute right-4 bottom-3 shadow"
            onClick={() => {
              setFollow(true);
            }}
          >
            <ArrowDownToLineIcon aria-hidden="true" />
            {t("runs.logs.follow")}
          </Button>
        ) : null}
      </div>
    </section>
  );
}
