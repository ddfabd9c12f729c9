import { CheckIcon, TriangleAlertIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { ErrorAlert } from "@/components/form";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import type { Connection } from "@/features/connections/api";
import type { Pipeline } from "../api";
import { snakeCase, type Config, type FormState } from "./config";
import type { Errors } from "./errors";

/** Step 5: a summary, every error still open, and the exact request that Save sends. */
export function ReviewStep({
  form,
  pipeline,
  sources,
  destinations,
  config,
  body,
  errors,
  saveError,
}: {
  form: FormState;
  pipeline: Pipeline | undefined;
  sources: Connection[];
  destinations: Connection[];
  config: { config: Config } | { error: string };
  body: (config: Config) => object;
  errors: Errors;
  saveError: unknown;
}) {
  const { t } = useTranslation();
  const source = sources.find((c) => c.id === form.sourceId);
  const destination = destinations.find((c) => c.id === form.destinationId);
  const schema = pipeline ? pipeline.destination_schema : form.destinationSchema.trim() || snakeCase(form.name.trim() || "pipeline");
  const all = Object.entries(errors);
  return (
    <div className="flex flex-col gap-4">
      <dl className="grid gap-3 text-sm sm:grid-cols-2">
        <div>
          <dt className="text-muted-foreground">{t("pipelines.wizard.name")}</dt>
          <dd className="font-medium">{form.name}</dd>
        </div>
        <div>
          <dt className="text-muted-foreground">{t("pipelines.wizard.route")}</dt>
          <dd>
            {source?.name ?? "—"} → {destination?.name ?? "—"}
            <span className="font-mono text-muted-foreground">.{schema}</span>
          </dd>
        </div>
        <div>
          <dt className="text-muted-foreground">{t("pipelines.wizard.step.tables")}</dt>
          <dd className="font-mono text-xs break-words">
            {form.wholeSchema !== null ? t("pipelines.wizard.wholeSchema", { schema: form.wholeSchema }) : form.tables.join(", ")}
          </dd>
        </div>
        <div>
          <dt className="text-muted-foreground">{t("pipelines.wizard.disposition")}</dt>
          <dd>{t(`pipelines.wizard.dispositions.${form.disposition}`)}</dd>
        </div>
      </dl>
      {all.length > 0 ? (
        <Alert variant="destructive" role="alert">
          <TriangleAlertIcon aria-hidden="true" />
          <AlertTitle>{t("pipelines.wizard.fix")}</AlertTitle>
          <AlertDescription>
            <ul className="list-disc pl-4">
              {all.map(([field, message]) => (
                <li key={field}>
                  <code>{field}</code> {message}
                </li>
              ))}
            </ul>
          </AlertDescription>
        </Alert>
      ) : null}
      {saveError ? <ErrorAlert error={saveError} title={t("pipelines.wizard.saveFailed")} /> : null}
      {"error" in config ? (
        <p className="text-sm text-destructive">{config.error}</p>
      ) : (
        <div className="flex flex-col gap-2">
          <h3 className="text-sm font-medium">{t("pipelines.wizard.request")}</h3>
          <pre data-testid="pipeline-request" className="max-h-96 overflow-auto rounded-md border bg-muted/40 p-3 font-mono text-xs">
            {JSON.stringify(body(config.config), null, 2)}
          </pre>
        </div>
      )}
      {!pipeline ? (
        <p className="flex items-center gap-2 text-xs text-muted-foreground">
          <CheckIcon aria-hidden="true" className="size-3.5" />
          {t("pipelines.wizard.schemaForever", { schema })}
        </p>
      ) : null}
    </div>
  );
}
