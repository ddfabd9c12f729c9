import { useNavigate } from "@tanstack/react-router";
import { ArrowLeftIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader } from "@/components/ui/card";
import { LanguageSwitcher } from "@/features/shell/LanguageSwitcher";
import { ThemeToggle } from "@/features/theme/ThemeToggle";

/**
 * Sign-in and sign-up. Identity is not in this build, so the page says so plainly and offers a way
 * back instead of a form that could not work.
 */
export function AuthPage({ kind, redirect }: { kind: "signIn" | "signUp"; redirect: string | undefined }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const title = t(`auth.${kind}.title`);
  const back = redirect ?? "/";
  return (
    <div className="flex min-h-dvh flex-col">
      <title>{t("app.pageTitle", { page: title })}</title>
      <div className="flex justify-end gap-1 p-4">
        <LanguageSwitcher />
        <ThemeToggle />
      </div>
      <main id="main" className="flex flex-1 items-start justify-center px-4 pt-[10vh]">
        <Card className="w-full max-w-md">
          <CardHeader>
            <p className="text-sm font-semibold text-primary">{t("app.name")}</p>
            <h1 tabIndex={-1} className="text-2xl font-semibold tracking-tight outline-none">
              {title}
            </h1>
          </CardHeader>
          <CardContent className="flex flex-col gap-6">
            <CardDescription className="text-base">{t(`auth.${kind}.body`)}</CardDescription>
            <div>
              <Button asChild variant="outline">
                <a
                  href={back}
                  onClick={(event) => {
                    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
                    event.preventDefault();
                    void navigate({ href: back });
                  }}
                >
                  <ArrowLeftIcon aria-hidden="true" />
                  {t("auth.back")}
                </a>
              </Button>
            </div>
          </CardContent>
        </Card>
      </main>
    </div>
  );
}
