import { useTranslation } from "react-i18next";
import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function OrganizationPage() {
  const { t } = useTranslation();
  return <PlannedSectionPage section="organization" eyebrow={t("nav.settings")} />;
}
