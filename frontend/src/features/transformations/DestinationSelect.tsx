import { useQuery } from "@tanstack/react-query";
import type { ComponentProps } from "react";
import { useTranslation } from "react-i18next";
import { NativeSelect } from "@/components/ui/input";
import { connectionsQuery } from "@/features/connections/api";

/**
 * The destination a model or job runs in: the org's connections that can be written to; null
 * (shown as the Warehouse) leaves the choice to the server, whose default is the Warehouse.
 */
export function DestinationSelect({
  value,
  onChange,
  ...props
}: Omit<ComponentProps<typeof NativeSelect>, "value" | "onChange"> & { value: number | null; onChange: (value: number | null) => void }) {
  const { t } = useTranslation();
  const connections = useQuery(connectionsQuery);
  const destinations = (connections.data ?? []).filter((c) => c.direction !== "source");
  return (
    <NativeSelect
      {...props}
      value={value === null ? "" : String(value)}
      onChange={(event) => {
        onChange(event.target.value === "" ? null : Number(event.target.value));
      }}
    >
      {value === null ? <option value="">{t("transformations.warehouse")}</option> : null}
      {destinations.map((c) => (
        <option key={c.id} value={String(c.id)}>
          {c.name}
        </option>
      ))}
    </NativeSelect>
  );
}
