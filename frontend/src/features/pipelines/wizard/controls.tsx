import type { ComponentProps, ReactNode } from "react";
import type { Schemas } from "@/api/client";
import { NativeSelect } from "@/components/ui/input";

/** A select of the catalog's columns. */
export function ColumnSelect({
  columns,
  value,
  onChange,
  controlProps,
  allowEmpty,
}: {
  columns: Schemas["CatalogColumn"][];
  value: string;
  onChange: (value: string) => void;
  controlProps: { id: string; "aria-invalid": boolean | undefined; "aria-describedby": string | undefined };
  allowEmpty: string;
}) {
  // A column the catalog no longer lists stays selectable, so a stored config is shown as it is.
  const names = columns.map((column) => column.name);
  return (
    <NativeSelect
      {...controlProps}
      value={value}
      onChange={(event) => {
        onChange(event.target.value);
      }}
    >
      <option value="">{allowEmpty}</option>
      {value && !names.includes(value) ? <option value={value}>{value}</option> : null}
      {columns.map((column) => (
        <option key={column.name} value={column.name}>
          {column.name} ({column.type})
        </option>
      ))}
    </NativeSelect>
  );
}

/** A titled group of settings. */
export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="flex min-w-0 flex-col gap-3 rounded-lg border p-4">
      <legend className="px-1 text-sm font-semibold">{title}</legend>
      {children}
    </fieldset>
  );
}

/** A select of a fixed set of values, each shown by its label; onValue gets only those values. */
export function EnumSelect<T extends string>({
  values,
  value,
  label,
  onValue,
  ...props
}: { values: readonly T[]; value: T; label: (value: T) => string; onValue: (value: T) => void } & Omit<
  ComponentProps<typeof NativeSelect>,
  "value" | "onChange"
>) {
  return (
    <NativeSelect
      {...props}
      value={value}
      onChange={(event) => {
        const chosen = values.find((v) => v === event.target.value);
        if (chosen !== undefined) onValue(chosen);
      }}
    >
      {values.map((v) => (
        <option key={v} value={v}>
          {label(v)}
        </option>
      ))}
    </NativeSelect>
  );
}
