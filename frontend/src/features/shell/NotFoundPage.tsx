import { Link, useRouterState } from "@tanstack/react-router";
import { CompassIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { PageHeader } from "@/components/page-header";

export function NotFoundPage() {
  const { t } = useTranslation();
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={t("notFound.title")} description={t("notFound.body", { path: pathname })} />
      <div>
        <Button asChild variant="outline">
          <Link to="/">
            <CompassIcon aria-hidden="true" />
            {t("notFound.home")}
          </Link>
        </Button>
      </div>
    </div>
  );
}
