import { useTranslation } from "react-i18next";
import { Skeleton } from "@/components/ui/skeleton";

/** What a page or section shows while its data loads: a status line for screen readers and two skeleton lines. */
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
