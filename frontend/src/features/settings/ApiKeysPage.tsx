import { useTranslation } from "react-i18next";
import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function ApiKeysPage() {
  const { t } = useTranslation();
  return <PlannedSectionPage section="apiKeys" eyebrow={t("nav.settings")} />;
}
