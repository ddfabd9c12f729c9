import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function DashboardPage() {
  return <PlannedSectionPage section="dashboard" />;
}
