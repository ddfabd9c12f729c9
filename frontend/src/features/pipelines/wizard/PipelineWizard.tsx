import { ArrowLeftIcon, ArrowRightIcon, SaveIcon, TriangleAlertIcon } from "lucide-react";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "@/api/client";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import type { Connection } from "@/features/connections/api";
import { cn } from "@/lib/utils";
import type { Pipeline } from "../api";
import { stepOfField, steps, type FormState } from "./config";
import { DestinationStep } from "./DestinationStep";
import { LoadingStep } from "./LoadingStep";
import { ReviewStep } from "./ReviewStep";
import { SourceStep } from "./SourceStep";
import { TablesStep } from "./TablesStep";
import { useWizardForm } from "./useWizardForm";

/**
 * The pipeline wizard: the steps as a list one can go back to, the current step's form, and Back
 * with Next (or Save on the review). Its state and rules live in useWizardForm; each step in its
 * own file.
 */
export function PipelineWizard({
  initial,
  pipeline,
  sources,
  destinations,
  onSaved,
}: {
  initial: FormState;
  pipeline?: Pipeline | undefined;
  sources: Connection[];
  destinations: Connection[];
  onSaved: (saved: Pipeline) => void;
}) {
  const { t } = useTranslation();
  const wizard = useWizardForm({ initial, pipeline, onSaved });
  const stepProps = { form: wizard.form, update: wizard.update, errors: wizard.errors };
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    heading.current?.focus();
  }, [wizard.step]);

  return (
    <div className="flex flex-col gap-6">
      <nav aria-label={t("pipelines.wizard.steps")}>
        <ol className="flex flex-wrap gap-2">
          {steps.map((name, i) => {
            const current = name === wizard.step;
            const reachable = wizard.visited.has(name) && !current;
            const hasErrors = Object.keys(wizard.errors).some((field) => stepOfField(field) === name);
            return (
              <li key={name}>
                <button
                  type="button"
                  disabled={!reachable}
                  aria-current={current ? "step" : undefined}
                  onClick={() => {
                    wizard.go(name);
                  }}
                  className={cn(
                    "flex items-center gap-2 rounded-full border px-3 py-1 text-sm outline-none focus-visible:ring-2 focus-visible:ring-ring disabled:cursor-default",
                    current ? "border-primary bg-primary text-primary-foreground" : "hover:bg-accent",
                    !current && !wizard.visited.has(name) && "text-muted-foreground",
                    hasErrors && !current && "border-destructive text-destructive",
                  )}
                >
                  <span aria-hidden="true" className="tabular-nums">
                    {i + 1}
                  </span>
                  {t(`pipelines.wizard.step.${name}`)}
                  {hasErrors ? <TriangleAlertIcon aria-label={t("pipelines.wizard.hasErrors")} className="size-3.5" /> : null}
                </button>
              </li>
            );
          })}
        </ol>
      </nav>

      <Card>
        <CardHeader>
          <CardTitle>
            <span ref={heading} tabIndex={-1} className="outline-none">
              {t("pipelines.wizard.stepTitle", { n: wizard.index + 1, total: steps.length, name: t(`pipelines.wizard.step.${wizard.step}`) })}
            </span>
          </CardTitle>
          <CardDescription>{t(`pipelines.wizard.hint.${wizard.step}`)}</CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col gap-5">
          {wizard.unplaced.length > 0 ? (
            <Alert variant="destructive" role="alert">
              <TriangleAlertIcon aria-hidden="true" />
              <AlertTitle>{t("pipelines.wizard.fix")}</AlertTitle>
              <AlertDescription>
                <ul className="list-disc pl-4">
                  {wizard.unplaced.map(([field, message]) => (
                    <li key={field}>
                      <code>{field}</code> {message}
                    </li>
                  ))}
                </ul>
              </AlertDescription>
            </Alert>
          ) : null}
          {wizard.step === "source" ? <SourceStep {...stepProps} sources={sources} /> : null}
          {wizard.step === "tables" ? <TablesStep {...stepProps} catalog={wizard.catalog} sourceType={sources.find((c) => c.id === wizard.form.sourceId)?.type} /> : null}
          {wizard.step === "destination" ? (
            <DestinationStep {...stepProps} destinations={destinations} editing={pipeline !== undefined} />
          ) : null}
          {wizard.step === "loading" ? <LoadingStep wizard={wizard} /> : null}
          {wizard.step === "review" ? (
            <ReviewStep
              form={wizard.form}
              pipeline={pipeline}
              sources={sources}
              destinations={destinations}
              config={wizard.configNow()}
              body={wizard.body}
              errors={wizard.errors}
              saveError={wizard.save.error instanceof ApiError && wizard.save.error.status === 422 ? null : wizard.save.error}
            />
          ) : null}
        </CardContent>
      </Card>

      <div className="flex flex-wrap justify-between gap-2">
        <Button
          variant="outline"
          disabled={wizard.index === 0}
          onClick={wizard.back}
        >
          <ArrowLeftIcon aria-hidden="true" />
          {t("pipelines.wizard.back")}
        </Button>
        {wizard.step === "review" ? (
          <Button
            disabled={wizard.save.isPending}
            onClick={wizard.submit}
          >
            <SaveIcon aria-hidden="true" />
            {wizard.save.isPending ? t("pipelines.wizard.saving") : pipeline ? t("pipelines.wizard.saveChanges") : t("pipelines.wizard.create")}
          </Button>
        ) : (
          <Button onClick={wizard.next}>
            {t("pipelines.wizard.next")}
            <ArrowRightIcon aria-hidden="true" />
          </Button>
        )}
      </div>
    </div>
  );
}
