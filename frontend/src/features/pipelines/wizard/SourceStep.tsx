import { useTranslation } from "react-i18next";
import { EmptyState } from "@/components/empty-state";
import { Field } from "@/components/form";
import { Input, NativeSelect } from "@/components/ui/input";
import type { Connection } from "@/features/connections/api";
import { emptyFileForm } from "./config";
import { errorAt } from "./errors";
import type { StepProps } from "./useWizardForm";

/** Step 1: the pipeline's name and description, and the connection it reads from. */
export function SourceStep({ form, update, errors, sources }: StepProps & { sources: Connection[] }) {
  const { t } = useTranslation();
  return (
    <>
      <Field label={t("pipelines.wizard.name")} error={errorAt(errors, "name")}>
        {(props) => (
          <Input
            {...props}
            value={form.name}
            maxLength={100}
            onChange={(event) => {
              update({ name: event.target.value });
            }}
          />
        )}
      </Field>
      <Field label={t("pipelines.wizard.description")} error={errorAt(errors, "description")}>
        {(props) => (
          <Input
            {...props}
            value={form.description}
            maxLength={2000}
            onChange={(event) => {
              update({ description: event.target.value });
            }}
          />
        )}
      </Field>
      {sources.length === 0 ? (
        <EmptyState>{t("pipelines.wizard.noSources")}</EmptyState>
      ) : (
        <Field label={t("pipelines.wizard.source")} hint={t("pipelines.wizard.sourceHint")} error={errorAt(errors, "source_connection_id")}>
          {(props) => (
            <NativeSelect
              {...props}
              value={form.sourceId ?? ""}
              onChange={(event) => {
                const id = event.target.value ? Number(event.target.value) : null;
                // Tables, keys, filters and file settings belong to the old source.
                if (id !== form.sourceId) update({ sourceId: id, tables: [], wholeSchema: null, primaryKeys: {}, filters: [], files: emptyFileForm() });
              }}
            >
              <option value="">{t("pipelines.wizard.choose")}</option>
              {sources.map((connection) => (
                <option key={connection.id} value={connection.id}>
                  {connection.name} ({connection.type})
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      )}
    </>
  );
}
