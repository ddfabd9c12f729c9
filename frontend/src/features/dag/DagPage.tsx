import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function DagPage() {
  return <PlannedSectionPage section="dag" />;
}
