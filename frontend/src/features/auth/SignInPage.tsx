import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import { TriangleAlertIcon } from "lucide-react";
import { useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "@/api/client";
import { unwrap } from "@/api/unwrap";
import { ErrorAlert, Field } from "@/components/form";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { session } from "./auth";
import { csrfHeaders } from "./auth";
import { AuthLayout } from "./AuthLayout";
import { ProviderButtons } from "./providers";
import { oauthErrorCode } from "./redirect";

type Fields = "email" | "password";

export function SignInPage() {
  const { t } = useTranslation();
  const { redirect, oauth_error: oauthError } = useSearch({ from: "/sign-in" });
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Fields, string>>>({});

  const signIn = useMutation({
    mutationFn: async () => {
      return unwrap(await api.POST("/api/v1/auth/login", {
        body: { email: email.trim(), password },
        headers: csrfHeaders,
        credentials: "same-origin",
      }));
    },
    onSuccess: async (tokens) => {
      queryClient.clear();
      session.signIn(tokens);
      await navigate({ href: redirect ?? "/", replace: true });
    },
    onError: (error) => {
      setFieldErrors(error instanceof ApiError ? pick(error.fieldErrors) : {});
    },
  });

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const errors: Partial<Record<Fields, string>> = {};
    if (email.trim() === "") errors.email = t("auth.errors.emailRequired");
    if (password === "") errors.password = t("auth.errors.passwordRequired");
    setFieldErrors(errors);
    if (Object.keys(errors).length === 0) signIn.mutate();
  }

  return (
    <AuthLayout
      title={t("auth.signIn.title")}
      description={t("auth.signIn.description")}
      footer={
        <>
          {t("auth.signIn.noAccount")}{" "}
          <Link to="/sign-up" search={{ redirect }} className="font-medium text-primary underline-offset-4 hover:underline">
            {t("auth.signUp.title")}
          </Link>
        </>
      }
    >
      {oauthError && !signIn.isError ? (
        <Alert variant="destructive" role="alert">
          <TriangleAlertIcon aria-hidden="true" />
          <AlertTitle>{t("auth.signIn.failed")}</AlertTitle>
          <AlertDescription>
            <p>{t(`auth.oauthError.${oauthErrorCode(oauthError)}`)}</p>
          </AlertDescription>
        </Alert>
      ) : null}
      <ProviderButtons redirect={redirect} />
      <form noValidate onSubmit={submit} className="flex flex-col gap-4">
        {signIn.isError ? <ErrorAlert error={signIn.error} title={t("auth.signIn.failed")} /> : null}
        <Field label={t("auth.fields.email")} error={fieldErrors.email}>
          {(props) => (
            <Input
              {...props}
              type="email"
              autoComplete="username"
              value={email}
              onChange={(event) => {
                setEmail(event.target.value);
              }}
            />
          )}
        </Field>
        <Field label={t("auth.fields.password")} error={fieldErrors.password}>
          {(props) => (
            <Input
              {...props}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(event) => {
                setPassword(event.target.value);
              }}
            />
          )}
        </Field>
        <Button type="submit" disabled={signIn.isPending}>
          {signIn.isPending ? t("auth.signIn.pending") : t("auth.signIn.submit")}
        </Button>
      </form>
    </AuthLayout>
  );
}

function pick(errors: Record<string, string>): Partial<Record<Fields, string>> {
  return { email: errors.email, password: errors.password };
}
