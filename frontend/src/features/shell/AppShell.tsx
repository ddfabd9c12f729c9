import { Link, useRouter } from "@tanstack/react-router";
import { useEffect, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ThemeToggle } from "@/features/theme/ThemeToggle";
import { OrgSwitcher, UserMenu } from "./AccountArea";
import { LanguageSwitcher } from "./LanguageSwitcher";
import { MobileNav } from "./MobileNav";
import { Nav } from "./Nav";

/** Sidebar, header and the main landmark around every signed-in page. */
export function AppShell({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  useFocusHeadingOnNavigation();
  return (
    <div className="min-h-dvh md:grid md:grid-cols-[15rem_minmax(0,1fr)]">
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-background px-3 py-2 focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:ring-2 focus:ring-ring"
      >
        {t("app.skipToContent")}
      </a>
      <aside className="sticky top-0 hidden h-dvh flex-col gap-6 overflow-y-auto border-r bg-sidebar p-4 md:flex">
        <Brand />
        <Nav />
      </aside>
      <div className="flex min-w-0 flex-col">
        <header className="sticky top-0 z-40 flex h-14 items-center gap-2 border-b bg-background/95 px-4 backdrop-blur supports-[backdrop-filter]:bg-background/80 md:px-8">
          <MobileNav />
          <div className="md:hidden">
            <Brand />
          </div>
          <div className="ml-auto flex items-center gap-1">
            <OrgSwitcher />
            <LanguageSwitcher />
            <ThemeToggle />
            <UserMenu />
          </div>
        </header>
        <main id="main" tabIndex={-1} className="flex-1 px-4 py-6 outline-none md:px-8 md:py-8">
          {children}
        </main>
      </div>
    </div>
  );
}

function Brand() {
  const { t } = useTranslation();
  return (
    <Link
      to="/"
      aria-label={t("app.home")}
      className="flex items-center gap-2 rounded-md px-1 font-semibold tracking-tight focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
    >
      <svg viewBox="0 0 32 32" className="size-7" aria-hidden="true">
        <rect width="32" height="32" rx="7" className="fill-primary" />
        <path d="M9 8h7a8 8 0 0 1 0 16H9z" fill="none" className="stroke-primary-foreground" strokeWidth="3" />
      </svg>
      {t("app.name")}
    </Link>
  );
}

/**
 * After a client-side navigation, move focus to the new page's heading so that keyboard and
 * screen-reader users land on the new content instead of staying on the link they pressed.
 */
function useFocusHeadingOnNavigation() {
  const router = useRouter();
  useEffect(
    () =>
      router.subscribe("onResolved", (event) => {
        if (!event.pathChanged || event.fromLocation === undefined) return;
        requestAnimationFrame(() => {
          const heading = document.querySelector<HTMLElement>("main h1");
          heading?.focus({ preventScroll: false });
        });
      }),
    [router],
  );
}
