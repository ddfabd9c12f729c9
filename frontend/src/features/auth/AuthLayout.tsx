import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Card, CardContent, CardDescription, CardHeader } from "@/components/ui/card";
import { LanguageSwitcher } from "@/features/shell/LanguageSwitcher";
import { ThemeToggle } from "@/features/theme/ThemeToggle";

/** The frame of the public account pages: sign in, sign up, accept an invitation. */
export function AuthLayout({
  title,
  description,
  children,
  footer,
}: {
  title: string;
  description?: string;
  children: ReactNode;
  footer?: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <div className="flex min-h-dvh flex-col">
      <title>{t("app.pageTitle", { page: title })}</title>
      <div className="flex justify-end gap-1 p-4">
        <LanguageSwitcher />
        <ThemeToggle />
      </div>
      <main id="main" className="flex flex-1 items-start justify-center px-4 pt-[8vh] pb-12">
        <div className="flex w-full max-w-md flex-col gap-4">
          <Card>
            <CardHeader>
              <p className="text-sm font-semibold text-primary">{t("app.name")}</p>
              <h1 tabIndex={-1} className="text-2xl font-semibold tracking-tight outline-none">
                {title}
              </h1>
              {description ? <CardDescription>{description}</CardDescription> : null}
            </CardHeader>
            <CardContent className="flex flex-col gap-6">{children}</CardContent>
          </Card>
          {footer ? <p className="text-center text-sm text-muted-foreground">{footer}</p> : null}
        </div>
      </main>
    </div>
  );
}
