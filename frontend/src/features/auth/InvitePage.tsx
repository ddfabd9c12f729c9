import { Link, useSearch } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { TriangleAlertIcon } from "lucide-react";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { AuthLayout } from "./AuthLayout";
import { SignUpForm } from "./SignUpForm";

/** Accepts an invitation: the sign-up form with the invitation's token (and email, when the link has it). */
export function InvitePage() {
  const { t } = useTranslation();
  const { token, email } = useSearch({ from: "/invite" });
  return (
    <AuthLayout
      title={t("auth.invite.title")}
      description={t("auth.invite.description")}
      footer={
        <>
          {t("auth.signUp.haveAccount")}{" "}
          <Link to="/sign-in" className="font-medium text-primary underline-offset-4 hover:underline">
            {t("auth.signIn.title")}
          </Link>
        </>
      }
    >
      {token ? (
        <SignUpForm redirect={undefined} inviteToken={token} initialEmail={email ?? ""} />
      ) : (
        <Alert variant="destructive" role="alert">
          <TriangleAlertIcon aria-hidden="true" />
          <AlertTitle>{t("auth.invite.missingToken")}</AlertTitle>
          <AlertDescription>
            <p>{t("auth.invite.missingTokenHint")}</p>
          </AlertDescription>
        </Alert>
      )}
    </AuthLayout>
  );
}
