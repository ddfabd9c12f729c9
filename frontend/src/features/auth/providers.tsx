import { queryOptions, useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api, type Schemas } from "@/api/client";
import { unwrap } from "@/api/unwrap";
import { Button } from "@/components/ui/button";
import { authKeys } from "./hooks";

export type AuthProvider = Schemas["AuthProvider"];

/** GET /api/v1/auth/providers: the OAuth providers enabled here; none when the call fails. */
export const providersQuery = queryOptions({
  queryKey: authKeys.providers,
  queryFn: async ({ signal }) => {
    return unwrap(await api.GET("/api/v1/auth/providers", { signal })).providers;
  },
  staleTime: 5 * 60_000,
  retry: false,
});

/** The start URL of a provider, carrying the app path to return to. */
export function startUrl(provider: AuthProvider, redirect: string | undefined): string {
  if (!redirect) return provider.start_url;
  const separator = provider.start_url.includes("?") ? "&" : "?";
  return `${provider.start_url}${separator}redirect=${encodeURIComponent(redirect)}`;
}

/** Buttons for the enabled OAuth providers only; nothing while loading, on error or with none enabled. */
export function ProviderButtons({ redirect }: { redirect: string | undefined }) {
  const { t } = useTranslation();
  const providers = useQuery(providersQuery);
  const list = providers.data ?? [];
  if (list.length === 0) return null;
  return (
    <div className="flex flex-col gap-2">
      {list.map((provider) => (
        <Button key={provider.name} variant="outline" asChild>
          <a href={startUrl(provider, redirect)}>{t("auth.continueWith", { provider: provider.label })}</a>
        </Button>
      ))}
      <p className="text-center text-xs text-muted-foreground">{t("auth.orWithEmail")}</p>
    </div>
  );
}
