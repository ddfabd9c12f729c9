import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function ConnectionsPage() {
  return <PlannedSectionPage section="connections" />;
}
