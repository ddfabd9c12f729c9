import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { SaveIcon } from "lucide-react";
import { useId, useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "@/api/client";
import { ErrorAlert, Field } from "@/components/form";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogTitle } from "@/components/ui/dialog";
import { Input, NativeSelect } from "@/components/ui/input";
import { nodeKey, parseNodeKey, type NodeRef } from "@/features/dag/api";
import { NodeOptions } from "@/features/dag/common";
import { useDebounced } from "@/lib/use-debounced";
import {
  browserTimeZone,
  createSchedule,
  formatInZone,
  scheduleKeys,
  schedulePreviewQuery,
  timeZones,
  updateSchedule,
  type Schedule,
} from "./api";
import { buildCron, cronFieldNames, cronPresets, parseCron, parseTime, timeValue, type CronBuilder, type CronFields, type CronPreset } from "./cron";

type FormState = {
  target: string;
  cron: string;
  timezone: string;
  downstream: boolean;
  isActive: boolean;
  grace: string;
};

function initialState(saved: Schedule | null, target: NodeRef | undefined): FormState {
  if (saved) {
    return {
      target: nodeKey({ type: saved.target_type, id: saved.target_id }),
      cron: saved.cron,
      timezone: saved.timezone,
      downstream: saved.downstream,
      isActive: saved.is_active,
      grace: String(saved.misfire_grace_seconds),
    };
  }
  return { target: target ? nodeKey(target) : "", cron: "0 2 * * *", timezone: browserTimeZone(), downstream: false, isActive: true, grace: "300" };
}

/** The dialog that creates a schedule (optionally for a given node) or edits one. */
export function ScheduleDialog({
  open,
  onOpenChange,
  saved,
  target,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  saved: Schedule | null;
  target?: NodeRef | undefined;
}) {
  const { t } = useTranslation();
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent closeLabel={t("common.close")} className="max-w-3xl">
        <DialogTitle>{saved ? t("schedules.editTitle", { name: saved.target_name }) : t("schedules.newTitle")}</DialogTitle>
        <DialogDescription>{t("schedules.formDescription")}</DialogDescription>
        {open ? (
          <ScheduleForm
            saved={saved}
            target={target}
            onDone={() => {
              onOpenChange(false);
            }}
          />
        ) : null}
      </DialogContent>
    </Dialog>
  );
}

const weekdays = ["1", "2", "3", "4", "5", "6", "0"] as const;

export function ScheduleForm({ saved, target, onDone }: { saved: Schedule | null; target?: NodeRef | undefined; onDone: () => void }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FormState>(() => initialState(saved, target));
  const [touched, setTouched] = useState(false);
  const downstreamId = useId();
  const activeId = useId();
  const zones = timeZones(form.timezone);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
  };

  const cron = useDebounced(form.cron.trim(), 400);
  const timezone = useDebounced(form.timezone, 400);
  // The previous answer stays on screen while the next one loads, so the panel does not flicker as one types.
  const preview = useQuery({ ...schedulePreviewQuery(cron, timezone), enabled: cron !== "" && timezone !== "", placeholderData: keepPreviousData });
  const previewError = preview.error instanceof ApiError ? preview.error : undefined;
  const invalid = previewError?.status === 422 ? previewError : undefined;

  const graceValid = /^\d+$/.test(form.grace.trim()) && Number(form.grace) <= 86_400;
  const errors = {
    target: form.target === "" ? t("schedules.errors.target") : undefined,
    cron: form.cron.trim() === "" ? t("schedules.errors.cron") : undefined,
    grace: graceValid ? undefined : t("schedules.errors.grace"),
  };

  const save = useMutation({
    mutationFn: () => {
      const common = {
        cron: form.cron.trim(),
        timezone: form.timezone,
        is_active: form.isActive,
        downstream: form.downstream,
        misfire_grace_seconds: Number(form.grace),
      };
      if (saved) return updateSchedule(saved.id, common);
      const ref = parseNodeKey(form.target);
      if (!ref) throw new Error("no target");
      return createSchedule({ ...common, target_type: ref.type, target_id: ref.id });
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: scheduleKeys.all });
      onDone();
    },
  });
  const serverErrors = save.error instanceof ApiError ? save.error.fieldErrors : {};

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    setTouched(true);
    if (errors.target || errors.cron || errors.grace) return;
    save.mutate();
  }

  const cronError =
    (touched ? errors.cron : undefined) ??
    serverErrors.cron ??
    (invalid ? (invalid.fieldErrors.cron ?? (invalid.fieldErrors.timezone ? undefined : invalid.message)) : undefined);
  const zoneError = serverErrors.timezone ?? invalid?.fieldErrors.timezone;

  return (
    <form noValidate onSubmit={submit} className="flex flex-col gap-4" aria-label={t("schedules.formLabel")}>
      <Field label={t("schedules.fields.target")} error={(touched ? errors.target : undefined) ?? serverErrors.target_id}>
        {(props) => (
          <NativeSelect
            {...props}
            value={form.target}
            disabled={saved !== null}
            onChange={(event) => {
              set("target", event.target.value);
            }}
          >
            {saved ? (
              <option value={form.target}>{saved.target_name}</option>
            ) : (
              <>
                <option value="">{t("schedules.chooseTarget")}</option>
                <NodeOptions />
              </>
            )}
          </NativeSelect>
        )}
      </Field>
      <CronEditor
        value={form.cron}
        error={cronError}
        onChange={(value) => {
          set("cron", value);
        }}
      />
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label={t("schedules.fields.timezone")} error={zoneError}>
          {(props) => (
            <NativeSelect
              {...props}
              value={form.timezone}
              onChange={(event) => {
                set("timezone", event.target.value);
              }}
            >
              {zones.map((zone) => (
                <option key={zone} value={zone}>
                  {zone}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        <Field label={t("schedules.fields.grace")} hint={t("schedules.graceHint")} error={(touched ? errors.grace : undefined) ?? serverErrors.misfire_grace_seconds}>
          {(props) => (
            <Input
              {...props}
              inputMode="numeric"
              value={form.grace}
              onChange={(event) => {
                set("grace", event.target.value);
              }}
            />
          )}
        </Field>
      </div>
      <div className="flex flex-col gap-2">
        <label htmlFor={downstreamId} className="flex items-center gap-2 text-sm">
          <input
            id={downstreamId}
            type="checkbox"
            className="size-4 accent-primary"
            checked={form.downstream}
            onChange={(event) => {
              set("downstream", event.target.checked);
            }}
          />
          {t("schedules.fields.downstream")}
        </label>
        <label htmlFor={activeId} className="flex items-center gap-2 text-sm">
          <input
            id={activeId}
            type="checkbox"
            className="size-4 accent-primary"
            checked={form.isActive}
            onChange={(event) => {
              set("isActive", event.target.checked);
            }}
          />
          {t("schedules.fields.active")}
        </label>
      </div>
      <section
        aria-label={t("schedules.preview.title")}
        aria-live="polite"
        aria-busy={preview.isFetching}
        className={preview.isPlaceholderData ? "rounded-md border p-3 text-sm opacity-60" : "rounded-md border p-3 text-sm"}
      >
        <h3 className="font-medium">{t("schedules.preview.title")}</h3>
        {preview.isFetching && !preview.data ? <p className="text-muted-foreground">{t("common.loading")}</p> : null}
        {preview.isError && !invalid ? <p className="text-destructive">{previewError?.message ?? t("schedules.preview.failed")}</p> : null}
        {preview.isSuccess ? (
          <>
            <p data-testid="cron-description">{preview.data.description}</p>
            <ol aria-label={t("schedules.preview.next")} className="mt-2 list-decimal pl-5 tabular-nums">
              {preview.data.next.map((fire) => (
                <li key={fire.at}>
                  <time dateTime={fire.at}>{formatInZone(fire.at, timezone, i18n.language)}</time>
                </li>
              ))}
            </ol>
          </>
        ) : null}
      </section>
      {save.isError && Object.keys(serverErrors).length === 0 ? <ErrorAlert error={save.error} title={t("schedules.saveFailed")} /> : null}
      <DialogFooter>
        <Button variant="outline" onClick={onDone}>
          {t("common.cancel")}
        </Button>
        <Button type="submit" disabled={save.isPending}>
          <SaveIcon aria-hidden="true" />
          {save.isPending ? t("schedules.saving") : t("schedules.save")}
        </Button>
      </DialogFooter>
    </form>
  );
}

/** The cron builder (presets and the five fields) beside the raw expression; both write the expression. */
export function CronEditor({ value, error, onChange }: { value: string; error?: string | undefined; onChange: (value: string) => void }) {
  const { t } = useTranslation();
  const [base, setBase] = useState<CronBuilder>(() => parseCron(value));
  const [customMode, setCustomMode] = useState(false);
  const parsed = parseCron(value, base);
  const builder: CronBuilder = customMode ? { ...parsed, preset: "custom" } : parsed;
  const update = (next: CronBuilder) => {
    setBase(next);
    onChange(buildCron(next));
  };
  // The fields as typed (an emptied one reads "*" in the expression but stays empty while it is edited).
  const [draft, setDraft] = useState<CronFields | null>(null);
  const shownFields = draft && buildCron({ ...builder, preset: "custom", fields: draft }) === value ? draft : builder.fields;
  const setField = (index: number, field: string) => {
    const fields = [...shownFields] as CronFields;
    fields[index] = field.replace(/\s+/g, "");
    setDraft(fields);
    update({ ...builder, preset: "custom", fields });
  };
  const withTime = builder.preset === "daily" || builder.preset === "weekdays" || builder.preset === "weekly" || builder.preset === "monthly";
  return (
    <fieldset className="flex flex-col gap-3 rounded-md border p-3">
      <legend className="px-1 text-sm font-medium">{t("schedules.fields.when")}</legend>
      <div className="grid gap-3 sm:grid-cols-4">
        <Field label={t("schedules.builder.preset")}>
          {(props) => (
            <NativeSelect
              {...props}
              value={builder.preset}
              onChange={(event) => {
                const preset = event.target.value as CronPreset;
                setCustomMode(preset === "custom");
                update({ ...builder, preset });
              }}
            >
              {cronPresets.map((preset) => (
                <option key={preset} value={preset}>
                  {t(`schedules.presets.${preset}`)}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        {builder.preset === "hourly" ? (
          <Field label={t("schedules.builder.minute")}>
            {(props) => (
              <Input
                {...props}
                type="number"
                min={0}
                max={59}
                value={builder.minute}
                onChange={(event) => {
                  const minute = Number(event.target.value);
                  if (Number.isInteger(minute) && minute >= 0 && minute <= 59) update({ ...builder, minute });
                }}
              />
            )}
          </Field>
        ) : null}
        {builder.preset === "weekly" ? (
          <Field label={t("schedules.builder.weekday")}>
            {(props) => (
              <NativeSelect
                {...props}
                value={String(builder.weekday)}
                onChange={(event) => {
                  update({ ...builder, weekday: Number(event.target.value) });
                }}
              >
                {weekdays.map((day) => (
                  <option key={day} value={day}>
                    {t(`schedules.weekdays.${day}`)}
                  </option>
                ))}
              </NativeSelect>
            )}
          </Field>
        ) : null}
        {builder.preset === "monthly" ? (
          <Field label={t("schedules.builder.dayOfMonth")}>
            {(props) => (
              <Input
                {...props}
                type="number"
                min={1}
                max={31}
                value={builder.dayOfMonth}
                onChange={(event) => {
                  const day = Number(event.target.value);
                  if (Number.isInteger(day) && day >= 1 && day <= 31) update({ ...builder, dayOfMonth: day });
                }}
              />
            )}
          </Field>
        ) : null}
        {withTime ? (
          <Field label={t("schedules.builder.time")}>
            {(props) => (
              <Input
                {...props}
                type="time"
                value={timeValue(builder)}
                onChange={(event) => {
                  const time = parseTime(event.target.value);
                  if (time) update({ ...builder, ...time });
                }}
              />
            )}
          </Field>
        ) : null}
      </div>
      <div className="grid grid-cols-2 gap-2 sm:grid-cols-5">
        {cronFieldNames.map((name, index) => (
          <Field key={name} label={t(`schedules.cronFields.${name}`)}>
            {(props) => (
              <Input
                {...props}
                className="font-mono"
                value={shownFields[index] ?? ""}
                onChange={(event) => {
                  setField(index, event.target.value);
                }}
              />
            )}
          </Field>
        ))}
      </div>
      <Field label={t("schedules.fields.cron")} hint={t("schedules.cronHint")} error={error}>
        {(props) => (
          <Input
            {...props}
            className="font-mono"
            value={value}
            spellCheck={false}
            onChange={(event) => {
              onChange(event.target.value);
            }}
          />
        )}
      </Field>
    </fieldset>
  );
}
