import { PlannedSectionPage } from "@/features/shell/PlannedSectionPage";

export function CatalogPage() {
  return <PlannedSectionPage section="catalog" />;
}
