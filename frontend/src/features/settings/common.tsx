import { LockIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Skeleton } from "@/components/ui/skeleton";
import type { Role } from "@/features/auth/session";

/** Says that a page or a control needs a higher role. */
export function NeedsRole({ role, what }: { role: Role; what: string }) {
  const { t } = useTranslation();
  return (
    <Alert>
      <LockIcon aria-hidden="true" />
      <AlertTitle>{t("settings.needsRole.title", { role: t(`roles.${role}`) })}</AlertTitle>
      <AlertDescription>
        <p>{what}</p>
      </AlertDescription>
    </Alert>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return (
    <div className="flex flex-col gap-2">
      <p role="status" className="text-sm text-muted-foreground">
        {t("common.loading")}
      </p>
      <Skeleton className="h-4 w-2/3" />
      <Skeleton className="h-4 w-1/2" />
    </div>
  );
}

export function EmptyState({ children }: { children: string }) {
  return <p className="rounded-lg border border-dashed px-4 py-8 text-center text-sm text-muted-foreground">{children}</p>;
}

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
