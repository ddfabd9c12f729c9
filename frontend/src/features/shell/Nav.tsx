import { Link } from "@tanstack/react-router";
import { useId } from "react";
import { useTranslation } from "react-i18next";
import { cn } from "@/lib/utils";
import { mainNav, navIcons, settingsNav, statusNav, type NavItem } from "./nav";

/** The app's main navigation; rendered in the sidebar and, on narrow screens, in the menu sheet. */
export function Nav({ onNavigate }: { onNavigate?: () => void }) {
  const { t } = useTranslation();
  const settingsId = useId();
  return (
    <nav aria-label={t("nav.label")} className="flex flex-1 flex-col gap-6">
      <ul className="flex flex-col gap-0.5">
        {mainNav.map((item) => (
          <li key={item.id}>
            <NavLink item={item} onNavigate={onNavigate} />
          </li>
        ))}
      </ul>
      <div className="flex flex-col gap-1">
        <span id={settingsId} className="px-3 text-xs font-semibold tracking-wide text-muted-foreground uppercase">
          {t("nav.settings")}
        </span>
        <ul aria-labelledby={settingsId} className="flex flex-col gap-0.5">
          {settingsNav.map((item) => (
            <li key={item.id}>
              <NavLink item={item} onNavigate={onNavigate} />
            </li>
          ))}
        </ul>
      </div>
      <ul className="mt-auto flex flex-col gap-0.5">
        <li>
          <NavLink item={statusNav} onNavigate={onNavigate} />
        </li>
      </ul>
    </nav>
  );
}

function NavLink({ item, onNavigate }: { item: NavItem; onNavigate: (() => void) | undefined }) {
  const { t } = useTranslation();
  const Icon = navIcons[item.id];
  return (
    <Link
      to={item.to}
      activeOptions={{ exact: item.exact ?? false }}
      onClick={onNavigate}
      className={cn(
        "flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium text-muted-foreground transition-colors",
        "hover:bg-accent hover:text-accent-foreground",
        "focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none",
        "data-[status=active]:bg-accent data-[status=active]:text-accent-foreground",
      )}
    >
      <Icon className="size-4 shrink-0" aria-hidden="true" />
      {t(`nav.${item.id}`)}
    </Link>
  );
}
