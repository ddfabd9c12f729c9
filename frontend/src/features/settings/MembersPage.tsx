import { useTranslation } from "react-i18next";
import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function MembersPage() {
  const { t } = useTranslation();
  return <PlannedSectionPage section="members" eyebrow={t("nav.settings")} />;
}
