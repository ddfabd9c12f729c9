import { useTranslation } from "react-i18next";
import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function NotificationsPage() {
  const { t } = useTranslation();
  return <PlannedSectionPage section="notifications" eyebrow={t("nav.settings")} />;
}
