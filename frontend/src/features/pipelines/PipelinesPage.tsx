import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function PipelinesPage() {
  return <PlannedSectionPage section="pipelines" />;
}
