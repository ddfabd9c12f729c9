import { PlusIcon, TrashIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { dbtUtilsTests, type ColumnTests } from "./testsConfig";

const blank: ColumnTests = { column: "", notNull: false, unique: false, acceptedValues: null, relationships: null, utils: [], other: [] };

/** The generic tests of a model's columns: not_null, unique, accepted_values, relationships and dbt_utils'. */
export function TestsEditor({
  rows,
  onChange,
  disabled,
  models,
}: {
  rows: ColumnTests[];
  onChange: (rows: ColumnTests[]) => void;
  disabled: boolean;
  models: string[];
}) {
  const { t } = useTranslation();
  const update = (index: number, patch: Partial<ColumnTests>) => {
    onChange(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  };
  return (
    <section aria-labelledby="model-tests" className="flex flex-col gap-3 rounded-lg border p-4">
      <h2 id="model-tests" className="font-semibold">
        {t("transformations.tests.title")}
      </h2>
      {rows.length === 0 ? <p className="text-sm text-muted-foreground">{t("transformations.tests.none")}</p> : null}
      <datalist id="model-names">
        {models.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      {rows.map((row, index) => (
        <fieldset key={index} className="flex flex-wrap items-center gap-3 border-t pt-3 text-sm" aria-label={t("transformations.tests.column", { name: row.column })}>
          <Input
            aria-label={t("transformations.tests.columnName")}
            className="w-40 font-mono"
            value={row.column}
            disabled={disabled}
            onChange={(e) => {
              update(index, { column: e.target.value });
            }}
          />
          {(["notNull", "unique"] as const).map((key) => (
            <label key={key} className="flex items-center gap-1">
              <input type="checkbox" checked={row[key]} disabled={disabled} onChange={(e) => { update(index, { [key]: e.target.checked }); }} />
              <span className="font-mono">{key === "notNull" ? "not_null" : "unique"}</span>
            </label>
          ))}
          <label className="flex items-center gap-1">
            <input
              type="checkbox"
              checked={row.acceptedValues !== null}
              disabled={disabled}
              onChange={(e) => {
                update(index, { acceptedValues: e.target.checked ? "" : null });
              }}
            />
            <span className="font-mono">accepted_values</span>
          </label>
          {row.acceptedValues !== null ? (
            <Input
              aria-label={t("transformations.tests.values")}
              placeholder={t("transformations.tests.values")}
              className="w-48"
              value={row.acceptedValues}
              disabled={disabled}
              onChange={(e) => {
                update(index, { acceptedValues: e.target.value });
              }}
            />
          ) : null}
          <label className="flex items-center gap-1">
            <input
              type="checkbox"
              checked={row.relationships !== null}
              disabled={disabled}
              onChange={(e) => {
                update(index, { relationships: e.target.checked ? { to: "", field: "" } : null });
              }}
            />
            <span className="font-mono">relationships</span>
          </label>
          {row.relationships !== null ? (
            <>
              <Input
                aria-label={t("transformations.tests.to")}
                placeholder={t("transformations.tests.to")}
                list="model-names"
                className="w-40 font-mono"
                value={row.relationships.to}
                disabled={disabled}
                onChange={(e) => {
                  update(index, { relationships: { to: e.target.value, field: row.relationships?.field ?? "" } });
                }}
              />
              <Input
                aria-label={t("transformations.tests.field")}
                placeholder={t("transformations.tests.field")}
                className="w-32 font-mono"
                value={row.relationships.field}
                disabled={disabled}
                onChange={(e) => {
                  update(index, { relationships: { to: row.relationships?.to ?? "", field: e.target.value } });
                }}
              />
            </>
          ) : null}
          {dbtUtilsTests.map((test) => (
            <label key={test} className="flex items-center gap-1">
              <input
                type="checkbox"
                checked={row.utils.includes(test)}
                disabled={disabled}
                onChange={(e) => {
                  update(index, { utils: e.target.checked ? [...row.utils, test] : row.utils.filter((u) => u !== test) });
                }}
              />
              <span className="font-mono text-xs">{test}</span>
            </label>
          ))}
          {row.other.length > 0 ? <span className="text-xs text-muted-foreground">{t("transformations.tests.other", { count: row.other.length })}</span> : null}
          {!disabled ? (
            <Button
              type="button"
              variant="ghost"
              size="sm"
              aria-label={t("transformations.tests.remove", { name: row.column })}
              onClick={() => {
                onChange(rows.filter((_, i) => i !== index));
              }}
            >
              <TrashIcon aria-hidden="true" />
            </Button>
          ) : null}
        </fieldset>
      ))}
      {!disabled ? (
        <div>
          <Button
            type="button"
            variant="outline"
            size="sm"
            onClick={() => {
              onChange([...rows, { ...blank }]);
            }}
          >
            <PlusIcon aria-hidden="true" />
            {t("transformations.tests.add")}
          </Button>
        </div>
      ) : null}
    </section>
  );
}
