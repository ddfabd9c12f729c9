import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "@/api/client";
import { catalogQuery } from "@/features/connections/api";
import { createPipeline, pipelineKeys, pipelineQuery, updatePipeline, type Pipeline } from "../api";
import {
  buildConfig,
  columnsOf,
  formFromConfig,
  localErrors,
  stepOfField,
  steps,
  type Config,
  type FormState,
  type Step,
} from "./config";
import { placed, type Errors } from "./errors";

/** What every step receives: the form, a way to change it, and the errors to show at its fields. */
export type StepProps = { form: FormState; update: (patch: Partial<FormState>) => void; errors: Errors };

/** The whole config as JSON text while the user edits it by hand, and why it does not parse. */
export type RawConfig = { text: string; error: string | null };

/**
 * The state of the pipeline wizard: the form, the current step and the steps visited, the errors
 * shown (the form's own checks and the API's 422 field errors), the raw JSON editor of the config,
 * and the save. Steps render from it; the rules of moving between steps live here.
 */
export function useWizardForm({
  initial,
  pipeline,
  onSaved,
}: {
  initial: FormState;
  pipeline?: Pipeline | undefined;
  onSaved: (saved: Pipeline) => void;
}) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FormState>(initial);
  const [step, setStep] = useState<Step>("source");
  const [visited, setVisited] = useState<ReadonlySet<Step>>(new Set<Step>(pipeline ? steps : ["source"]));
  const [shown, setShown] = useState<Errors>({});
  const [raw, setRaw] = useState<RawConfig | null>(null);
  const catalog = useQuery({ ...catalogQuery(form.sourceId ?? 0), enabled: form.sourceId !== null });
  const index = steps.indexOf(step);

  const columnTypes = useMemo(() => {
    const types = new Map<string, string>();
    for (const table of form.tables) for (const column of columnsOf(catalog.data, table)) types.set(column.name, column.type);
    return types;
  }, [catalog.data, form.tables]);

  const update = (patch: Partial<FormState>) => {
    setForm((current) => ({ ...current, ...patch }));
  };

  /** The config to send: the raw JSON when it is being edited, else the form's. */
  const configNow = (): { config: Config } | { error: string } => {
    if (raw) {
      try {
        const parsed: unknown = JSON.parse(raw.text);
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { error: t("pipelines.wizard.rawNotObject") };
        return { config: parsed as Config };
      } catch (error) {
        return { error: t("pipelines.wizard.rawInvalid", { reason: error instanceof Error ? error.message : "" }) };
      }
    }
    return { config: buildConfig(form, columnTypes) };
  };

  /** The request body for a config: an existing pipeline's schema is fixed, so an edit never sends one. */
  const body = (config: Config) => {
    const common = {
      name: form.name.trim(),
      description: form.description,
      source_connection_id: form.sourceId ?? 0,
      destination_connection_id: form.destinationId ?? 0,
      config,
    };
    if (pipeline) return common;
    return form.destinationSchema.trim() ? { ...common, destination_schema: form.destinationSchema.trim() } : common;
  };

  const save = useMutation({
    mutationFn: (config: Config) => (pipeline ? updatePipeline(pipeline.id, body(config)) : createPipeline(body(config))),
    onSuccess: async (saved) => {
      queryClient.setQueryData(pipelineQuery(saved.id).queryKey, saved);
      await queryClient.invalidateQueries({ queryKey: pipelineKeys.all });
      onSaved(saved);
    },
    onError: (error) => {
      if (!(error instanceof ApiError) || error.status !== 422) return;
      const fields = error.fieldErrors;
      setShown(fields);
      // Go to the first step that shows one of the API's complaints.
      const first = steps.find((candidate) => Object.keys(fields).some((field) => stepOfField(field) === candidate));
      if (first && first !== "review") setStep(first);
    },
  });

  const messages = (key: string) => t(`pipelines.wizard.errors.${key}` as "pipelines.wizard.errors.required");

  const go = (target: Step) => {
    setStep(target);
    setVisited((current) => new Set([...current, target]));
  };

  /** Checks the current step, keeps its errors in view when it has some, else moves on. */
  const next = () => {
    if (step === "loading" && raw) {
      const result = configNow();
      if ("error" in result) {
        setRaw({ ...raw, error: result.error });
        return;
      }
    }
    const found = raw && step === "loading" ? {} : localErrors(form, step, messages);
    // Keep the API's errors of other steps; replace this step's with what the form found now.
    const kept = Object.fromEntries(Object.entries(shown).filter(([field]) => stepOfField(field) !== step));
    setShown({ ...kept, ...found });
    if (Object.keys(found).length > 0) return;
    const following = steps[index + 1];
    if (following) go(following);
  };

  const back = () => {
    const previous = steps[index - 1];
    if (previous) go(previous);
  };

  /** Switches the loading step between the form and the raw JSON; JSON that does not parse keeps the editor open. */
  const toggleRaw = (on: boolean) => {
    if (on) {
      setRaw({ text: JSON.stringify(buildConfig(form, columnTypes), null, 2), error: null });
      return;
    }
    if (!raw) return;
    const result = configNow();
    if ("error" in result) {
      setRaw({ ...raw, error: result.error });
      return;
    }
    setForm((current) => ({ ...formFromConfig(result.config, current) }));
    setRaw(null);
  };

  const editRaw = (text: string) => {
    setRaw({ text, error: null });
  };

  const submit = () => {
    const result = configNow();
    if ("error" in result) {
      setShown({ config: result.error });
      return;
    }
    save.mutate(result.config);
  };

  const stepErrors = Object.entries(shown).filter(([field]) => stepOfField(field) === step);
  const unplaced = stepErrors.filter(([field]) => !placed.some((pattern) => pattern.test(field)));

  return {
    form,
    update,
    step,
    index,
    visited,
    errors: shown,
    /** This step's errors that no control of the step shows. */
    unplaced,
    raw,
    toggleRaw,
    editRaw,
    catalog,
    configNow,
    body,
    save,
    go,
    next,
    back,
    submit,
  };
}

export type WizardForm = ReturnType<typeof useWizardForm>;
