import { useQuery } from "@tanstack/react-query";
import { PlusIcon, Trash2Icon } from "lucide-react";
import { useId, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Input, Label, NativeSelect } from "@/components/ui/input";
import { filesQuery, formatBytes } from "@/features/files/api";
import { cn } from "@/lib/utils";
import {
  asSchema,
  humanize,
  initialValue,
  InvalidJson,
  kindOf,
  secretMask,
  type Config,
  type JsonSchema,
} from "./schema";

/** Messages by field path ("config.port"): the client's checks and the server's 422 answer. */
export type FieldErrors = Record<string, string>;

type Common = {
  errors: FieldErrors;
  /** Editing a saved connection: masked secrets show "unchanged" and are sent back masked. */
  editing: boolean;
  disabled?: boolean | undefined;
};

/**
 * The fields of a connection type's config, generated from its JSON Schema. It is controlled:
 * `value` is the config as it will be sent (after `prune`), `onChange` gets the next one.
 */
export function SchemaForm({
  schema,
  value,
  onChange,
  ...common
}: Common & { schema: JsonSchema; value: Config; onChange: (next: Config) => void }) {
  return <ObjectFields schema={schema} value={value} onChange={onChange} path="config" {...common} />;
}

function ObjectFields({
  schema,
  value,
  onChange,
  path,
  ...common
}: Common & { schema: JsonSchema; value: Config; onChange: (next: Config) => void; path: string }) {
  const required = new Set(schema.required ?? []);
  return (
    <div className="flex flex-col gap-4">
      {Object.entries(schema.properties ?? {}).map(([name, property]) => (
        <PropertyField
          key={name}
          name={name}
          schema={asSchema(property)}
          required={required.has(name)}
          value={value[name]}
          path={`${path}.${name}`}
          onChange={(next) => {
            const copy = Object.fromEntries(Object.entries(value).filter(([key]) => key !== name));
            if (next !== undefined) copy[name] = next;
            onChange(copy);
          }}
          {...common}
        />
      ))}
    </div>
  );
}

type PropertyProps = Common & {
  name: string;
  schema: JsonSchema;
  required: boolean;
  value: unknown;
  path: string;
  onChange: (next: unknown) => void;
};

function PropertyField(props: PropertyProps) {
  const { t } = useTranslation();
  const { name, schema, required, value, path, onChange, errors, editing, disabled } = props;
  const label = schema.title ?? humanize(name);
  const kind = kindOf(name, schema);
  // JSON text holds the parts the form does not model: errors on their fields show here.
  const error = errors[path] ?? (kind === "json" ? descendantError(errors, path) : undefined);

  switch (kind) {
    case "object": {
      const object = isObject(value) ? value : undefined;
      return (
        <fieldset className="flex flex-col gap-4 rounded-lg border p-4" data-path={path}>
          <legend className="px-1 text-sm font-medium">
            {label}
            {required ? <RequiredMark /> : null}
          </legend>
          {schema.description ? <p className="text-xs text-muted-foreground">{schema.description}</p> : null}
          {error ? <p className="text-sm text-destructive">{error}</p> : null}
          <ObjectFields
            schema={schema}
            value={object ?? {}}
            path={path}
            onChange={(next) => {
              // An optional object starts with its defaults the first time one of its fields is set.
              onChange(object ? next : { ...initialValue(schema), ...next });
            }}
            errors={errors}
            editing={editing}
            disabled={disabled}
          />
        </fieldset>
      );
    }
    case "objectList":
      return <ObjectList {...props} label={label} />;
    case "boolean":
      return (
        <BooleanField
          label={label}
          hint={schema.description}
          error={error}
          checked={typeof value === "boolean" ? value : schema.default === true}
          disabled={disabled}
          onChange={onChange}
        />
      );
    default:
      break;
  }

  return (
    <SchemaField label={label} hint={hintOf(kind, schema, t)} error={error} required={required} path={path}>
      {(control) => {
        switch (kind) {
          case "secret":
            return (
              <Input
                {...control}
                type="password"
                autoComplete="new-password"
                disabled={disabled}
                value={value === secretMask || typeof value !== "string" ? "" : value}
                placeholder={editing && value === secretMask ? t("connections.form.unchanged") : undefined}
                onChange={(event) => {
                  const text = event.target.value;
                  // Clearing a new value of a saved secret goes back to keeping the stored one.
                  onChange(text === "" ? (editing ? secretMask : undefined) : text);
                }}
              />
            );
          case "integer":
          case "number":
            return (
              <Input
                {...control}
                type="number"
                inputMode={kind === "integer" ? "numeric" : "decimal"}
                step={kind === "integer" ? 1 : "any"}
                min={schema.minimum}
                max={schema.maximum}
                disabled={disabled}
                value={typeof value === "number" ? String(value) : ""}
                onChange={(event) => {
                  const text = event.target.value;
                  onChange(text === "" || Number.isNaN(Number(text)) ? undefined : Number(text));
                }}
              />
            );
          case "enum":
            return <EnumSelect control={control} schema={schema} required={required} value={value} disabled={disabled} onChange={onChange} />;
          case "file":
            return <FilePicker control={control} value={value} disabled={disabled} onChange={onChange} />;
          case "stringList":
            return <StringListInput control={control} value={value} disabled={disabled} onChange={onChange} />;
          case "json":
            return <JsonInput control={control} value={value} disabled={disabled} onChange={onChange} />;
          default:
            return (
              <Input
                {...control}
                maxLength={schema.maxLength}
                disabled={disabled}
                value={typeof value === "string" ? value : ""}
                onChange={(event) => {
                  onChange(event.target.value === "" ? undefined : event.target.value);
                }}
              />
            );
        }
      }}
    </SchemaField>
  );
}

function hintOf(kind: string, schema: JsonSchema, t: (key: "connections.form.jsonHint" | "connections.form.listHint") => string) {
  const parts = [schema.description];
  if (kind === "json") parts.push(t("connections.form.jsonHint"));
  if (kind === "stringList") parts.push(t("connections.form.listHint"));
  return parts.filter(Boolean).join(" ") || undefined;
}

type Control = {
  id: string;
  required: boolean;
  "aria-invalid": boolean | undefined;
  "aria-describedby": string | undefined;
  "data-path": string;
};

function RequiredMark() {
  return (
    <span aria-hidden="true" className="ml-0.5 text-destructive">
      *
    </span>
  );
}

/** A labelled control with its hint and error; the required mark sits outside the label text. */
function SchemaField({
  label,
  hint,
  error,
  required,
  path,
  children,
}: {
  label: string;
  hint: string | undefined;
  error: string | undefined;
  required: boolean;
  path: string;
  children: (control: Control) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="flex flex-col gap-2">
      <div className="flex items-center">
        <Label htmlFor={id}>{label}</Label>
        {required ? <RequiredMark /> : null}
      </div>
      {children({ id, required, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy, "data-path": path })}
      {hint ? (
        <p id={hintId} className="text-xs text-muted-foreground">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} className="text-sm text-destructive">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function BooleanField({
  label,
  hint,
  error,
  checked,
  disabled,
  onChange,
}: {
  label: string;
  hint: string | undefined;
  error: string | undefined;
  checked: boolean;
  disabled: boolean | undefined;
  onChange: (next: boolean) => void;
}) {
  return (
    <div className="flex flex-col gap-1">
      <label className="flex items-start gap-2 text-sm">
        <input
          type="checkbox"
          className="mt-0.5 size-4 accent-primary"
          checked={checked}
          disabled={disabled}
          onChange={(event) => {
            onChange(event.target.checked);
          }}
        />
        <span>
          <span className="font-medium">{label}</span>
          {hint ? <span className="block text-xs text-muted-foreground">{hint}</span> : null}
        </span>
      </label>
      {error ? <p className="text-sm text-destructive">{error}</p> : null}
    </div>
  );
}

function EnumSelect({
  control,
  schema,
  required,
  value,
  disabled,
  onChange,
}: {
  control: Control;
  schema: JsonSchema;
  required: boolean;
  value: unknown;
  disabled: boolean | undefined;
  onChange: (next: unknown) => void;
}) {
  const options = schema.enum ?? [];
  const index = options.findIndex((option) => option === value);
  const showEmpty = !required || index < 0;
  return (
    <NativeSelect
      {...control}
      disabled={disabled}
      value={index < 0 ? "" : String(index)}
      onChange={(event) => {
        onChange(event.target.value === "" ? undefined : options[Number(event.target.value)]);
      }}
    >
      {showEmpty ? <option value="">—</option> : null}
      {options.map((option, i) => (
        <option key={String(option)} value={String(i)}>
          {String(option)}
        </option>
      ))}
    </NativeSelect>
  );
}

/** The sqlite and file types name an uploaded file: offer the files rather than a number. */
function FilePicker({
  control,
  value,
  disabled,
  onChange,
}: {
  control: Control;
  value: unknown;
  disabled: boolean | undefined;
  onChange: (next: unknown) => void;
}) {
  const { t, i18n } = useTranslation();
  const files = useQuery(filesQuery);
  const items = files.data ?? [];
  const selected = typeof value === "number" ? value : undefined;
  return (
    <>
      <NativeSelect
        {...control}
        disabled={disabled === true || files.isPending}
        value={selected === undefined ? "" : String(selected)}
        onChange={(event) => {
          onChange(event.target.value === "" ? undefined : Number(event.target.value));
        }}
      >
        <option value="">{files.isPending ? t("common.loading") : t("connections.form.chooseFile")}</option>
        {selected !== undefined && !items.some((file) => file.id === selected) ? (
          <option value={String(selected)}>{t("connections.form.fileNumber", { id: selected })}</option>
        ) : null}
        {items.map((file) => (
          <option key={file.id} value={String(file.id)}>
            {`${file.name} (${file.format}, ${formatBytes(file.size, i18n.language)})`}
          </option>
        ))}
      </NativeSelect>
      {files.isSuccess && items.length === 0 ? (
        <p className="text-xs text-muted-foreground">{t("connections.form.noFiles")}</p>
      ) : null}
      {files.isError ? <p className="text-sm text-destructive">{t("connections.form.filesFailed")}</p> : null}
    </>
  );
}

const textareaClass =
  "min-h-20 w-full rounded-md border bg-background px-3 py-2 font-mono text-sm outline-none focus-visible:ring-2 focus-visible:ring-ring disabled:opacity-50 aria-invalid:border-destructive";

function StringListInput({
  control,
  value,
  disabled,
  onChange,
}: {
  control: Control;
  value: unknown;
  disabled: boolean | undefined;
  onChange: (next: unknown) => void;
}) {
  const [text, setText] = useState(() => (Array.isArray(value) ? value.map(String).join("\n") : ""));
  return (
    <textarea
      {...control}
      className={cn(textareaClass, "min-h-16")}
      disabled={disabled}
      value={text}
      onChange={(event) => {
        setText(event.target.value);
        const lines = event.target.value
          .split("\n")
          .map((line) => line.trim())
          .filter(Boolean);
        onChange(lines.length > 0 ? lines : undefined);
      }}
    />
  );
}

/** The fallback for nested parts the form does not model: JSON text, parsed as it is typed. */
function JsonInput({
  control,
  value,
  disabled,
  onChange,
}: {
  control: Control;
  value: unknown;
  disabled: boolean | undefined;
  onChange: (next: unknown) => void;
}) {
  const [text, setText] = useState(() =>
    value instanceof InvalidJson ? value.text : value === undefined ? "" : JSON.stringify(value, null, 2),
  );
  return (
    <textarea
      {...control}
      className={textareaClass}
      spellCheck={false}
      disabled={disabled}
      value={text}
      onChange={(event) => {
        const next = event.target.value;
        setText(next);
        if (next.trim() === "") {
          onChange(undefined);
          return;
        }
        try {
          onChange(JSON.parse(next) as unknown);
        } catch {
          onChange(new InvalidJson(next));
        }
      }}
    />
  );
}

function ObjectList(props: PropertyProps & { label: string }) {
  const { t } = useTranslation();
  const { schema, value, onChange, path, label, required, errors, editing, disabled } = props;
  const items = Array.isArray(value) ? (value as unknown[]) : [];
  const itemSchema = schema.items ?? {};
  const headingId = useId();
  // Items have no identity of their own; stable keys keep each item's text fields with it on removal.
  const [keys, setKeys] = useState<number[]>(() => items.map((_, i) => i));
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-3" data-path={path}>
      <div className="flex items-center justify-between gap-2">
        <h3 id={headingId} className="text-sm font-medium">
          {label}
          {required ? <RequiredMark /> : null}
        </h3>
        <Button
          type="button"
          variant="outline"
          size="sm"
          disabled={disabled}
          onClick={() => {
            setKeys([...keys, Math.max(-1, ...keys) + 1]);
            onChange([...items, initialValue(itemSchema)]);
          }}
        >
          <PlusIcon aria-hidden="true" />
          {t("connections.form.addItem", { name: label })}
        </Button>
      </div>
      {schema.description ? <p className="text-xs text-muted-foreground">{schema.description}</p> : null}
      {errors[path] ? <p className="text-sm text-destructive">{errors[path]}</p> : null}
      {items.length === 0 ? <p className="text-sm text-muted-foreground">{t("connections.form.noItems")}</p> : null}
      {items.map((item, index) => {
        const itemPath = `${path}[${String(index)}]`;
        const itemLabel = t("connections.form.item", { name: label, number: index + 1 });
        return (
          <fieldset key={keys[index] ?? `at-${String(index)}`} className="flex flex-col gap-4 rounded-lg border p-4">
            <legend className="px-1 text-sm font-medium">{itemLabel}</legend>
            <div className="flex justify-end">
              <Button
                type="button"
                variant="ghost"
                size="sm"
                disabled={disabled}
                aria-label={t("connections.form.removeItem", { name: itemLabel })}
                onClick={() => {
                  setKeys(keys.filter((_, i) => i !== index));
                  onChange(items.filter((_, i) => i !== index));
                }}
              >
                <Trash2Icon aria-hidden="true" />
                {t("connections.form.remove")}
              </Button>
            </div>
            <ObjectFields
              schema={itemSchema}
              value={isObject(item) ? item : {}}
              path={itemPath}
              onChange={(next) => {
                onChange(items.map((old, i) => (i === index ? next : old)));
              }}
              errors={errors}
              editing={editing}
              disabled={disabled}
            />
          </fieldset>
        );
      })}
    </section>
  );
}

function isObject(value: unknown): value is Config {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof InvalidJson);
}

function descendantError(errors: FieldErrors, path: string): string | undefined {
  const found = Object.entries(errors).find(([key]) => key.startsWith(`${path}.`) || key.startsWith(`${path}[`));
  return found ? `${found[0].slice(path.length).replace(/^\./, "")}: ${found[1]}` : undefined;
}
