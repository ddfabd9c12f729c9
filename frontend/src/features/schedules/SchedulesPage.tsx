import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function SchedulesPage() {
  return <PlannedSectionPage section="schedules" />;
}
