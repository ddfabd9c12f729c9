import { LockIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import type { Role } from "@/features/auth/session";

/** Says that a page or a control needs a higher role. */
export function NeedsRole({ role, what }: { role: Role; what: string }) {
  const { t } = useTranslation();
  return (
    <Alert>
      <LockIcon aria-hidden="true" />
      <AlertTitle>{t("settings.needsRole.title", { role: t(`roles.${role}`) })}</AlertTitle>
      <AlertDescription>
        <p>{what}</p>
      </AlertDescription>
    </Alert>
  );
}
