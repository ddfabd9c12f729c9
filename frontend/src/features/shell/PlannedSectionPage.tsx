import { useTranslation } from "react-i18next";
import { PageHeader } from "@/components/page-header";
import { navIcons, type SectionId } from "./nav";

/**
 * The page of a section whose feature is not in this build yet: it says what the section is for and
 * what it will offer, and shows no data, because there is none.
 */
export function PlannedSectionPage({ section, eyebrow }: { section: SectionId; eyebrow?: string }) {
  const { t } = useTranslation();
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={t(`nav.${section}`)} description={t(`sections.${section}.description`)} eyebrow={eyebrow} />
      <section
        aria-labelledby="planned-heading"
        className="flex flex-col items-center gap-3 rounded-xl border border-dashed px-6 py-12 text-center"
      >
        <span className="flex size-12 items-center justify-center rounded-full bg-muted text-muted-foreground">
          <SectionIcon section={section} className="size-6" aria-hidden="true" />
        </span>
        <h2 id="planned-heading" className="text-lg font-semibold">
          {t("planned.heading")}
        </h2>
        <p className="max-w-xl text-sm text-muted-foreground">{t("planned.lead")}</p>
        <p className="max-w-xl text-sm">{t(`sections.${section}.planned`)}</p>
      </section>
    </div>
  );
}

function SectionIcon({ section, className }: { section: SectionId; className: string }) {
  const Icon = navIcons[section];
  return <Icon className={className} aria-hidden="true" />;
}
