import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function RunsPage() {
  return <PlannedSectionPage section="runs" />;
}
