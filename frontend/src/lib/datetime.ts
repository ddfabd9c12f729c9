import { useTranslation } from "react-i18next";

/** Formats an RFC 3339 timestamp in the interface language. */
export function useFormatDateTime() {
  const { i18n } = useTranslation();
  const format = new Intl.DateTimeFormat(i18n.language, { dateStyle: "medium", timeStyle: "short" });
  return (value: string | null | undefined): string | null => {
    if (!value) return null;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : format.format(date);
  };
}
