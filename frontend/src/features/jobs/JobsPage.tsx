import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function JobsPage() {
  return <PlannedSectionPage section="jobs" />;
}
