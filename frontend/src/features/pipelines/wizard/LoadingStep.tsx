import { PlusIcon, Trash2Icon } from "lucide-react";
import { useId } from "react";
import { useTranslation } from "react-i18next";
import { Field } from "@/components/form";
import { Button } from "@/components/ui/button";
import { Input, NativeSelect } from "@/components/ui/input";
import type { Catalog } from "@/features/connections/api";
import { cn } from "@/lib/utils";
import {
  columnsOf,
  contractKeys,
  contractModes,
  dispositions,
  filterOps,
  incrementalAllowed,
  modeOf,
  namings,
  rowOrders,
  splitTable,
  verifyModes,
  type FormState,
} from "./config";
import { ColumnSelect, EnumSelect, Section } from "./controls";
import { errorAt } from "./errors";
import type { StepProps, WizardForm } from "./useWizardForm";

/** Step 4: how the tables load, as a form or, for what the form does not offer, as the config's raw JSON. */
export function LoadingStep({ wizard }: { wizard: WizardForm }) {
  const { t } = useTranslation();
  const { raw } = wizard;
  return (
    <div className="flex flex-col gap-5">
      <label className="flex items-center gap-2 self-start text-sm">
        <input
          type="checkbox"
          className="size-4"
          checked={raw !== null}
          onChange={(event) => {
            wizard.toggleRaw(event.target.checked);
          }}
        />
        {t("pipelines.wizard.rawToggle")}
      </label>
      {raw ? (
        <Field label={t("pipelines.wizard.rawLabel")} hint={t("pipelines.wizard.rawHint")} error={raw.error ?? undefined}>
          {(props) => (
            <textarea
              {...props}
              spellCheck={false}
              rows={18}
              value={raw.text}
              onChange={(event) => {
                wizard.editRaw(event.target.value);
              }}
              className="w-full rounded-md border bg-background p-3 font-mono text-xs outline-none focus-visible:ring-2 focus-visible:ring-ring aria-invalid:border-destructive"
            />
          )}
        </Field>
      ) : (
        <LoadingForm form={wizard.form} update={wizard.update} errors={wizard.errors} catalog={wizard.catalog.data} />
      )}
    </div>
  );
}

/** Write disposition and merge keys, incremental cursor, schema contract, filters and the rest. */
function LoadingForm({ form, update, errors, catalog }: StepProps & { catalog: Catalog | undefined }) {
  const { t } = useTranslation();
  const mode = modeOf(form);
  const tables = form.wholeSchema !== null ? [] : form.tables;
  const single = tables.length === 1 ? (tables[0] ?? "") : null;
  const singleColumns = single ? columnsOf(catalog, single) : [];
  const allColumns = [...new Map(tables.flatMap((table) => columnsOf(catalog, table)).map((c) => [c.name, c])).values()];
  const dispositionId = useId();

  const setDisposition = (disposition: FormState["disposition"]) => {
    const primaryKeys = { ...form.primaryKeys };
    if (disposition === "merge") {
      // Start from the source's primary keys.
      for (const table of tables) {
        if ((primaryKeys[table] ?? []).length === 0) {
          const pk = columnsOf(catalog, table).filter((column) => column.primary_key).map((column) => column.name);
          if (pk.length > 0) primaryKeys[table] = pk;
        }
      }
    }
    update({ disposition, primaryKeys });
  };

  const mergeError = (table: string) =>
    mode === "single_table"
      ? errorAt(errors, "config.primary_key")
      : errorAt(errors, `config.merge_config.${splitTable(table)[1]}`);

  return (
    <div className="flex flex-col gap-5">
      <Section title={t("pipelines.wizard.disposition")}>
        <div role="radiogroup" aria-labelledby={dispositionId} className="grid gap-2 sm:grid-cols-3">
          <span id={dispositionId} className="sr-only">
            {t("pipelines.wizard.disposition")}
          </span>
          {dispositions.map((value) => (
            <div
              key={value}
              className={cn(
                "flex flex-col gap-1 rounded-md border p-3 text-sm has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-ring",
                form.disposition === value && "border-primary bg-accent",
              )}
            >
              <label className="flex cursor-pointer items-center gap-2 font-medium">
                <input
                  type="radio"
                  name="write_disposition"
                  value={value}
                  aria-describedby={`${dispositionId}-${value}`}
                  checked={form.disposition === value}
                  onChange={() => {
                    setDisposition(value);
                  }}
                />
                {t(`pipelines.wizard.dispositions.${value}`)}
              </label>
              <span id={`${dispositionId}-${value}`} className="text-xs text-muted-foreground">
                {t(`pipelines.wizard.dispositionHints.${value}`)}
              </span>
            </div>
          ))}
        </div>
        {errorAt(errors, "config.write_disposition") ? (
          <p className="text-sm text-destructive">{errorAt(errors, "config.write_disposition")}</p>
        ) : null}
        {form.disposition === "merge" ? (
          <div className="flex flex-col gap-3">
            <p className="text-sm text-muted-foreground">
              {mode === "single_table" ? t("pipelines.wizard.keysSingle") : t("pipelines.wizard.keysMany")}
            </p>
            {tables.map((table) => {
              const columns = columnsOf(catalog, table);
              const keys = form.primaryKeys[table] ?? [];
              const names = [...new Set([...columns.map((c) => c.name), ...keys])];
              const error = mergeError(table);
              return (
                <fieldset key={table} className="flex flex-col gap-1" aria-invalid={error ? true : undefined}>
                  <legend className="text-sm font-medium">{t("pipelines.wizard.keysOf", { table })}</legend>
                  <div className="flex flex-wrap gap-x-4 gap-y-1">
                    {names.map((name) => (
                      <label key={name} className="flex items-center gap-1.5 font-mono text-sm">
                        <input
                          type="checkbox"
                          className="size-4"
                          checked={keys.includes(name)}
                          onChange={() => {
                            const nextKeys = keys.includes(name) ? keys.filter((k) => k !== name) : [...keys, name];
                            update({ primaryKeys: { ...form.primaryKeys, [table]: nextKeys } });
                          }}
                        />
                        {name}
                      </label>
                    ))}
                  </div>
                  {error ? <p className="text-sm text-destructive">{error}</p> : null}
                </fieldset>
              );
            })}
            {mode !== "single_table" && errorAt(errors, "config.merge_config", true) ? (
              <p className="text-sm text-destructive">{errorAt(errors, "config.merge_config", true)}</p>
            ) : null}
          </div>
        ) : null}
      </Section>

      <Section title={t("pipelines.wizard.incremental")}>
        {incrementalAllowed(form) ? (
          <>
            <label className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                className="size-4"
                checked={form.incremental.enabled}
                onChange={(event) => {
                  update({ incremental: { ...form.incremental, enabled: event.target.checked } });
                }}
              />
              {t("pipelines.wizard.incrementalEnable")}
            </label>
            {form.incremental.enabled ? (
              <div className="grid gap-4 sm:grid-cols-2">
                <Field label={t("pipelines.wizard.cursor")} error={errorAt(errors, "config.incremental.cursor_path")}>
                  {(props) => (
                    <ColumnSelect
                      controlProps={props}
                      columns={singleColumns}
                      value={form.incremental.cursorPath}
                      allowEmpty={t("pipelines.wizard.choose")}
                      onChange={(cursorPath) => {
                        update({ incremental: { ...form.incremental, cursorPath } });
                      }}
                    />
                  )}
                </Field>
                <Field
                  label={t("pipelines.wizard.initialValue")}
                  hint={t("pipelines.wizard.initialValueHint")}
                  error={errorAt(errors, "config.incremental.initial_value")}
                >
                  {(props) => (
                    <Input
                      {...props}
                      value={form.incremental.initialValue}
                      onChange={(event) => {
                        update({ incremental: { ...form.incremental, initialValue: event.target.value } });
                      }}
                    />
                  )}
                </Field>
                <Field label={t("pipelines.wizard.rowOrder")} error={errorAt(errors, "config.incremental.row_order")}>
                  {(props) => (
                    <EnumSelect
                      {...props}
                      values={rowOrders}
                      value={form.incremental.rowOrder}
                      label={(order) => t(`pipelines.wizard.rowOrders.${order}`)}
                      onValue={(rowOrder) => {
                        update({ incremental: { ...form.incremental, rowOrder } });
                      }}
                    />
                  )}
                </Field>
                <Field label={t("pipelines.wizard.lag")} hint={t("pipelines.wizard.lagHint")} error={errorAt(errors, "config.incremental.lag")}>
                  {(props) => (
                    <Input
                      {...props}
                      value={form.incremental.lag}
                      onChange={(event) => {
                        update({ incremental: { ...form.incremental, lag: event.target.value } });
                      }}
                    />
                  )}
                </Field>
              </div>
            ) : null}
            {errorAt(errors, "config.incremental", true) ? (
              <p className="text-sm text-destructive">{errorAt(errors, "config.incremental", true)}</p>
            ) : null}
          </>
        ) : (
          <p className="text-sm text-muted-foreground">
            {form.disposition === "replace" ? t("pipelines.wizard.incrementalReplace") : t("pipelines.wizard.incrementalOneTable")}
          </p>
        )}
      </Section>

      <Section title={t("pipelines.wizard.contract")}>
        <p className="text-sm text-muted-foreground">{t("pipelines.wizard.contractHint")}</p>
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          <Field label={t("pipelines.wizard.contractAll")}>
            {(props) => {
              const values = contractKeys.map((key) => form.contract[key]);
              const same = values.every((value) => value === values[0]) ? values[0] : "";
              return (
                <NativeSelect
                  {...props}
                  value={same}
                  onChange={(event) => {
                    const value = contractModes.find((mode) => mode === event.target.value);
                    if (value) update({ contract: { tables: value, columns: value, data_type: value } });
                  }}
                >
                  <option value="">{t("pipelines.wizard.contractMixed")}</option>
                  {contractModes.map((value) => (
                    <option key={value} value={value}>
                      {t(`pipelines.wizard.contractModes.${value}`)}
                    </option>
                  ))}
                </NativeSelect>
              );
            }}
          </Field>
          {contractKeys.map((key) => (
            <Field key={key} label={t(`pipelines.wizard.contractKeys.${key}`)} error={errorAt(errors, `config.schema_contract.${key}`)}>
              {(props) => (
                <EnumSelect
                  {...props}
                  values={contractModes}
                  value={form.contract[key]}
                  label={(value) => t(`pipelines.wizard.contractModes.${value}`)}
                  onValue={(value) => {
                    update({ contract: { ...form.contract, [key]: value } });
                  }}
                />
              )}
            </Field>
          ))}
        </div>
        {errorAt(errors, "config.schema_contract", true) ? (
          <p className="text-sm text-destructive">{errorAt(errors, "config.schema_contract", true)}</p>
        ) : null}
      </Section>

      <Section title={t("pipelines.wizard.filters")}>
        <p className="text-sm text-muted-foreground">{t("pipelines.wizard.filtersHint")}</p>
        {form.filters.map((row, i) => {
          const path = `config.filters[${String(i)}]`;
          const setRow = (patch: Partial<FormState["filters"][number]>) => {
            update({ filters: form.filters.map((current, j) => (j === i ? { ...current, ...patch } : current)) });
          };
          const noValue = row.op === "is_null" || row.op === "not_null";
          return (
            <div key={i} role="group" aria-label={t("pipelines.wizard.filterN", { n: i + 1 })} className="grid items-start gap-2 sm:grid-cols-[1fr_10rem_1fr_auto]">
              <Field label={t("pipelines.wizard.filterColumn")} error={errorAt(errors, `${path}.column`)}>
                {(props) => (
                  <ColumnSelect
                    controlProps={props}
                    columns={allColumns}
                    value={row.column}
                    allowEmpty={t("pipelines.wizard.choose")}
                    onChange={(column) => {
                      setRow({ column });
                    }}
                  />
                )}
              </Field>
              <Field label={t("pipelines.wizard.filterOp")} error={errorAt(errors, `${path}.op`)}>
                {(props) => (
                  <EnumSelect
                    {...props}
                    values={filterOps}
                    value={row.op}
                    label={(op) => t(`pipelines.wizard.ops.${op}`)}
                    onValue={(op) => {
                      setRow({ op });
                    }}
                  />
                )}
              </Field>
              <Field
                label={t("pipelines.wizard.filterValue")}
                hint={row.op === "in" || row.op === "not_in" ? t("pipelines.wizard.filterListHint") : undefined}
                error={errorAt(errors, `${path}.value`) ?? errorAt(errors, path, true)}
              >
                {(props) => (
                  <Input
                    {...props}
                    value={noValue ? "" : row.value}
                    disabled={noValue}
                    onChange={(event) => {
                      setRow({ value: event.target.value });
                    }}
                  />
                )}
              </Field>
              <Button
                variant="ghost"
                size="icon"
                className="sm:mt-6"
                aria-label={t("pipelines.wizard.removeFilter", { n: i + 1 })}
                onClick={() => {
                  update({ filters: form.filters.filter((_, j) => j !== i) });
                }}
              >
                <Trash2Icon aria-hidden="true" />
              </Button>
            </div>
          );
        })}
        {errorAt(errors, "config.filters", true) ? (
          <p className="text-sm text-destructive">{errorAt(errors, "config.filters", true)}</p>
        ) : null}
        <div>
          <Button
            variant="outline"
            size="sm"
            onClick={() => {
              update({ filters: [...form.filters, { column: "", op: "eq", value: "" }] });
            }}
          >
            <PlusIcon aria-hidden="true" />
            {t("pipelines.wizard.addFilter")}
          </Button>
        </div>
      </Section>

      <Section title={t("pipelines.wizard.advanced")}>
        <div className="grid gap-4 sm:grid-cols-3">
          <Field label={t("pipelines.wizard.batchSize")} error={errorAt(errors, "config.batch_size")}>
            {(props) => (
              <Input
                {...props}
                inputMode="numeric"
                value={form.batchSize}
                onChange={(event) => {
                  update({ batchSize: event.target.value });
                }}
              />
            )}
          </Field>
          <Field label={t("pipelines.wizard.verify")} error={errorAt(errors, "config.verify")}>
            {(props) => (
              <EnumSelect
                {...props}
                values={verifyModes}
                value={form.verify}
                label={(value) => t(`pipelines.wizard.verifyModes.${value}`)}
                onValue={(verify) => {
                  update({ verify });
                }}
              />
            )}
          </Field>
          <Field label={t("pipelines.wizard.naming")} error={errorAt(errors, "config.naming")}>
            {(props) => (
              <EnumSelect
                {...props}
                values={namings}
                value={form.naming}
                label={(value) => t(`pipelines.wizard.namings.${value}`)}
                onValue={(naming) => {
                  update({ naming });
                }}
              />
            )}
          </Field>
        </div>
      </Section>
    </div>
  );
}
