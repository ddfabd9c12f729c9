import { useTranslation } from "react-i18next";
import { Field } from "@/components/form";
import { Input, NativeSelect } from "@/components/ui/input";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { errorAt } from "./errors";
import { EnumSelect, Section } from "./controls";
import { fileColumnTypes, fileEncodings, headerChoices, type CatalogColumn, type FileForm } from "./config";
import type { StepProps } from "./useWizardForm";

/** The delimiters offered; a stored config's other one stays selectable. */
const delimiters = [",", ";", "\t", "|"] as const;
const quotes = ['"', "'"] as const;

/**
 * config.files for a file source: the columns the server detected with their inferred types and
 * a type override for each, and the CSV dialect overrides (each left to detection by default).
 * An S3 source also has the glob, allow_empty and the file column.
 */
export function FileSettings({
  form,
  update,
  errors,
  columns,
  s3,
}: StepProps & { columns: CatalogColumn[]; s3: boolean }) {
  const { t } = useTranslation();
  const files = form.files;
  const set = (patch: Partial<FileForm>) => {
    update({ files: { ...files, ...patch } });
  };
  const delimiterLabel = (d: string) => (d === "\t" ? t("pipelines.wizard.files.tab") : d);
  const columnNames = new Set(columns.map((column) => column.name));
  // An override of a column the catalog no longer shows is kept and listed, so nothing is lost.
  const extra = Object.keys(files.columns).filter((name) => !columnNames.has(name));
  return (
    <div className="flex flex-col gap-4">
      {s3 ? (
        <Section title={t("pipelines.wizard.files.objects")}>
          <Field label={t("pipelines.wizard.files.fileColumn")} hint={t("pipelines.wizard.files.fileColumnHint")} error={errorAt(errors, "config.files.file_column")}>
            {(props) => (
              <Input
                {...props}
                value={files.fileColumn}
                placeholder="_dnk_file"
                maxLength={63}
                onChange={(event) => {
                  set({ fileColumn: event.target.value });
                }}
              />
            )}
          </Field>
          <label className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              className="size-4"
              checked={files.allowEmpty}
              onChange={(event) => {
                set({ allowEmpty: event.target.checked });
              }}
            />
            {t("pipelines.wizard.files.allowEmpty")}
          </label>
        </Section>
      ) : null}
      <Section title={t("pipelines.wizard.files.columns")}>
        {columns.length === 0 && extra.length === 0 ? (
          <p className="text-sm text-muted-foreground">{t("pipelines.wizard.files.noColumns")}</p>
        ) : (
          <Table aria-label={t("pipelines.wizard.files.columns")}>
            <TableHeader>
              <TableRow>
                <TableHead>{t("pipelines.wizard.files.column")}</TableHead>
                <TableHead>{t("pipelines.wizard.files.detected")}</TableHead>
                <TableHead>{t("pipelines.wizard.files.loadAs")}</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {[...columns.map((c) => ({ name: c.name, type: c.type })), ...extra.map((name) => ({ name, type: "" }))].map((column) => (
                <TableRow key={column.name}>
                  <TableCell className="font-mono">{column.name}</TableCell>
                  <TableCell className="text-muted-foreground">{column.type || "—"}</TableCell>
                  <TableCell>
                    <NativeSelect
                      aria-label={t("pipelines.wizard.files.typeOf", { column: column.name })}
                      aria-invalid={errorAt(errors, `config.files.columns.${column.name}`) ? true : undefined}
                      value={files.columns[column.name] ?? ""}
                      onChange={(event) => {
                        const others = Object.entries(files.columns).filter(([name]) => name !== column.name);
                        const chosen = event.target.value;
                        set({ columns: Object.fromEntries(chosen === "" ? others : [...others, [column.name, chosen]]) });
                      }}
                    >
                      <option value="">{t("pipelines.wizard.files.inferred")}</option>
                      {fileColumnTypes.map((type) => (
                        <option key={type} value={type}>
                          {type}
                        </option>
                      ))}
                    </NativeSelect>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
        {errorAt(errors, "config.files.columns") ? (
          <p role="alert" className="text-sm text-destructive">
            {errorAt(errors, "config.files.columns")}
          </p>
        ) : null}
      </Section>
      <Section title={t("pipelines.wizard.files.dialect")}>
        <p className="text-xs text-muted-foreground">{t("pipelines.wizard.files.dialectHint")}</p>
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label={t("pipelines.wizard.files.delimiter")} error={errorAt(errors, "config.files.delimiter")}>
            {(props) => (
              <NativeSelect
                {...props}
                value={files.delimiter}
                onChange={(event) => {
                  set({ delimiter: event.target.value });
                }}
              >
                <option value="">{t("pipelines.wizard.files.detect")}</option>
                {files.delimiter !== "" && !(delimiters as readonly string[]).includes(files.delimiter) ? (
                  <option value={files.delimiter}>{files.delimiter}</option>
                ) : null}
                {delimiters.map((d) => (
                  <option key={d} value={d}>
                    {delimiterLabel(d)}
                  </option>
                ))}
              </NativeSelect>
            )}
          </Field>
          <Field label={t("pipelines.wizard.files.quote")} error={errorAt(errors, "config.files.quote")}>
            {(props) => (
              <NativeSelect
                {...props}
                value={files.quote}
                onChange={(event) => {
                  set({ quote: event.target.value });
                }}
              >
                <option value="">{t("pipelines.wizard.files.detect")}</option>
                {files.quote !== "" && !(quotes as readonly string[]).includes(files.quote) ? <option value={files.quote}>{files.quote}</option> : null}
                {quotes.map((q) => (
                  <option key={q} value={q}>
                    {q}
                  </option>
                ))}
              </NativeSelect>
            )}
          </Field>
          <Field label={t("pipelines.wizard.files.header")} error={errorAt(errors, "config.files.header")}>
            {(props) => (
              <EnumSelect
                {...props}
                values={headerChoices}
                value={files.header}
                label={(v) => (v === "yes" ? t("pipelines.wizard.files.headerYes") : v === "no" ? t("pipelines.wizard.files.headerNo") : t("pipelines.wizard.files.detect"))}
                onValue={(header) => {
                  set({ header });
                }}
              />
            )}
          </Field>
          <Field label={t("pipelines.wizard.files.encoding")} error={errorAt(errors, "config.files.encoding")}>
            {(props) => (
              <EnumSelect
                {...props}
                values={["", ...fileEncodings] as const}
                value={files.encoding}
                label={(v) => (v === "" ? t("pipelines.wizard.files.detect") : v)}
                onValue={(encoding) => {
                  set({ encoding });
                }}
              />
            )}
          </Field>
          <Field label={t("pipelines.wizard.files.nullMarker")} hint={t("pipelines.wizard.files.nullMarkerHint")} error={errorAt(errors, "config.files.null_marker")}>
            {(props) => (
              <Input
                {...props}
                value={files.nullMarker}
                maxLength={32}
                onChange={(event) => {
                  set({ nullMarker: event.target.value });
                }}
              />
            )}
          </Field>
        </div>
      </Section>
    </div>
  );
}
