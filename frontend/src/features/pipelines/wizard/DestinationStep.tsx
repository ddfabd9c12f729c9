import { useTranslation } from "react-i18next";
import { EmptyState } from "@/components/empty-state";
import { Field } from "@/components/form";
import { Input, NativeSelect } from "@/components/ui/input";
import type { Connection } from "@/features/connections/api";
import { snakeCase } from "./config";
import { errorAt } from "./errors";
import type { StepProps } from "./useWizardForm";

/** Step 3: the connection to load into and the schema there (fixed once the pipeline exists). */
export function DestinationStep({
  form,
  update,
  errors,
  destinations,
  editing,
}: StepProps & { destinations: Connection[]; editing: boolean }) {
  const { t } = useTranslation();
  const fallback = snakeCase(form.name.trim() || "pipeline");
  return (
    <>
      {destinations.length === 0 ? (
        <EmptyState>{t("pipelines.wizard.noDestinations")}</EmptyState>
      ) : (
        <Field label={t("pipelines.wizard.destination")} error={errorAt(errors, "destination_connection_id")}>
          {(props) => (
            <NativeSelect
              {...props}
              value={form.destinationId ?? ""}
              onChange={(event) => {
                update({ destinationId: event.target.value ? Number(event.target.value) : null });
              }}
            >
              <option value="">{t("pipelines.wizard.choose")}</option>
              {destinations.map((connection) => (
                <option key={connection.id} value={connection.id}>
                  {connection.name} ({connection.type})
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      )}
      <Field
        label={t("pipelines.wizard.schema")}
        hint={editing ? t("pipelines.wizard.schemaFixed") : t("pipelines.wizard.schemaHint", { schema: fallback })}
        error={errorAt(errors, "destination_schema")}
      >
        {(props) => (
          <Input
            {...props}
            className="font-mono"
            value={editing ? form.destinationSchema : form.destinationSchema}
            placeholder={fallback}
            readOnly={editing}
            disabled={editing}
            maxLength={63}
            onChange={(event) => {
              update({ destinationSchema: event.target.value });
            }}
          />
        )}
      </Field>
    </>
  );
}
