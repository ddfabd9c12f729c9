import { useTranslation } from "react-i18next";
import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function ExportImportPage() {
  const { t } = useTranslation();
  return <PlannedSectionPage section="exportImport" eyebrow={t("nav.settings")} />;
}
