import { Link, useRouterState } from "@tanstack/react-router";
import { Building2Icon, ChevronsUpDownIcon, UserRoundIcon } from "lucide-react";
import { useId } from "react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";

/**
 * The organization switcher. Organizations come with identity, so for now it is a disabled control
 * that says so rather than a fake list.
 */
export function OrgSwitcher() {
  const { t } = useTranslation();
  const hintId = useId();
  return (
    <span title={t("header.orgSwitcherHint")} className="hidden sm:inline-flex">
      <Button variant="outline" size="sm" disabled aria-describedby={hintId}>
        <Building2Icon aria-hidden="true" />
        {t("header.noOrganization")}
        <ChevronsUpDownIcon aria-hidden="true" />
      </Button>
      <span id={hintId} className="sr-only">
        {t("header.orgSwitcherHint")}
      </span>
    </span>
  );
}

/** Who is signed in: nobody yet, since accounts arrive with the identity feature. */
export function UserMenu() {
  const { t } = useTranslation();
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  const redirect = pathname.startsWith("/sign-") ? undefined : pathname;
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="sm" aria-label={`${t("header.account")}: ${t("header.notSignedIn")}`}>
          <UserRoundIcon aria-hidden="true" />
          <span className="hidden lg:inline">{t("header.notSignedIn")}</span>
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-64">
        <DropdownMenuLabel className="text-sm text-foreground">{t("header.notSignedIn")}</DropdownMenuLabel>
        <p className="px-2 pb-1.5 text-xs text-muted-foreground">{t("header.accountHint")}</p>
        <DropdownMenuSeparator />
        <DropdownMenuItem asChild>
          <Link to="/sign-in" search={{ redirect }}>
            {t("header.signIn")}
          </Link>
        </DropdownMenuItem>
        <DropdownMenuItem asChild>
          <Link to="/sign-up" search={{ redirect }}>
            {t("header.signUp")}
          </Link>
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
