import { Link, useSearch } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { AuthLayout } from "./AuthLayout";
import { ProviderButtons } from "./providers";
import { SignUpForm } from "./SignUpForm";

export function SignUpPage() {
  const { t } = useTranslation();
  const { redirect } = useSearch({ from: "/sign-up" });
  return (
    <AuthLayout
      title={t("auth.signUp.title")}
      description={t("auth.signUp.description")}
      footer={
        <>
          {t("auth.signUp.haveAccount")}{" "}
          <Link to="/sign-in" search={{ redirect }} className="font-medium text-primary underline-offset-4 hover:underline">
            {t("auth.signIn.title")}
          </Link>
        </>
      }
    >
      <ProviderButtons redirect={redirect} />
      <SignUpForm redirect={redirect} />
    </AuthLayout>
  );
}
