import { useTranslation } from "react-i18next";
import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function AuditLogPage() {
  const { t } = useTranslation();
  return <PlannedSectionPage section="auditLog" eyebrow={t("nav.settings")} />;
}
