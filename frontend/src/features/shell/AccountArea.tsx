import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useRouter, useRouterState } from "@tanstack/react-router";
import { Building2Icon, ChevronsUpDownIcon, LogOutIcon, UserRoundIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { api } from "@/api/client";
import { unwrap } from "@/api/unwrap";
import { useDescribeError } from "@/components/form";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { logout, session } from "@/features/auth/auth";
import { useMe, useSession } from "@/features/auth/hooks";

/** The organization switcher: the memberships of GET /me; switching gets tokens for the other org. */
export function OrgSwitcher() {
  const { t } = useTranslation();
  const current = useSession();
  const me = useMe();
  const queryClient = useQueryClient();
  const router = useRouter();
  const describe = useDescribeError();
  const switchOrg = useMutation({
    mutationFn: async (orgId: number) => {
      return unwrap(await api.POST("/api/v1/auth/switch-org", {
        body: { org_id: orgId },
        credentials: "same-origin",
      }));
    },
    onSuccess: async (tokens) => {
      session.signIn(tokens);
      // Everything cached belongs to the previous organization.
      await queryClient.resetQueries();
      await router.invalidate();
    },
  });
  if (!current) return null;
  const memberships = me.data?.memberships ?? [];
  return (
    <div className="flex items-center gap-2">
      {switchOrg.isError ? (
        <span role="alert" className="hidden text-xs text-destructive lg:inline">
          {t("header.switchFailed", { reason: describe(switchOrg.error) })}
        </span>
      ) : null}
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button
            variant="outline"
            size="sm"
            className="max-w-48"
            aria-label={t("header.organizationCurrent", { name: current.org.name })}
            disabled={switchOrg.isPending}
          >
            <Building2Icon aria-hidden="true" />
            <span className="hidden truncate sm:inline">{current.org.name}</span>
            <ChevronsUpDownIcon aria-hidden="true" />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end" className="w-64">
          <DropdownMenuLabel>{t("header.organizations")}</DropdownMenuLabel>
          <DropdownMenuRadioGroup
            value={String(current.org.id)}
            onValueChange={(value) => {
              if (value !== String(current.org.id)) switchOrg.mutate(Number(value));
            }}
          >
            {memberships.map((membership) => (
              <DropdownMenuRadioItem key={membership.org.id} value={String(membership.org.id)}>
                <span className="flex min-w-0 flex-1 flex-col">
                  <span className="truncate">{membership.org.name}</span>
                  <span className="text-xs text-muted-foreground">{t(`roles.${membership.role}`)}</span>
                </span>
              </DropdownMenuRadioItem>
            ))}
          </DropdownMenuRadioGroup>
          {me.isPending ? <p className="px-2 py-1.5 text-xs text-muted-foreground">{t("common.loading")}</p> : null}
        </DropdownMenuContent>
      </DropdownMenu>
    </div>
  );
}

/** Who is signed in, with sign-out; or the way to sign in on the public status page. */
export function UserMenu() {
  const { t } = useTranslation();
  const current = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  if (!current) {
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
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="sm" aria-label={`${t("header.account")}: ${current.user.full_name}`}>
          <UserRoundIcon aria-hidden="true" />
          <span className="hidden max-w-40 truncate lg:inline">{current.user.full_name}</span>
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-64">
        <DropdownMenuLabel className="flex flex-col gap-0.5">
          <span className="truncate text-sm text-foreground">{current.user.full_name}</span>
          <span className="truncate text-xs font-normal text-muted-foreground">{current.user.email}</span>
          <span className="text-xs font-normal text-muted-foreground">
            {t("header.roleIn", { role: t(`roles.${current.role}`), org: current.org.name })}
          </span>
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuItem
          onSelect={() => {
            void logout().finally(() => {
              queryClient.clear();
              void navigate({ to: "/sign-in", replace: true });
            });
          }}
        >
          <LogOutIcon aria-hidden="true" />
          {t("header.signOut")}
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
