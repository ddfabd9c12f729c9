import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function TransformationsPage() {
  return <PlannedSectionPage section="transformations" />;
}
