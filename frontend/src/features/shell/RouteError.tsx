import type { ErrorComponentProps } from "@tanstack/react-router";
import { TriangleAlertIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/** Shown when a page fails to load or render, for example a code chunk missing after an upgrade. */
export function RouteError({ error }: ErrorComponentProps) {
  const { t } = useTranslation();
  return (
    <Alert variant="destructive" role="alert" className="max-w-2xl">
      <TriangleAlertIcon aria-hidden="true" />
      <AlertTitle>
        <h1 className="text-base font-medium">{t("routeError.title")}</h1>
      </AlertTitle>
      <AlertDescription>
        <p>{t("routeError.body")}</p>
        <p className="font-mono text-xs break-all">{error instanceof Error ? error.message : String(error)}</p>
        <div>
          <Button
            variant="outline"
            size="sm"
            onClick={() => {
              window.location.reload();
            }}
          >
            {t("routeError.reload")}
          </Button>
        </div>
      </AlertDescription>
    </Alert>
  );
}
