import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, type Schemas } from "@/api/client";
import { unwrap } from "@/api/unwrap";
import { ErrorAlert, Field } from "@/components/form";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { csrfHeaders, session } from "./auth";
import { looksLikeEmail, passwordMaxBytes, passwordMinLength, passwordProblem } from "./validation";

type Fields = "full_name" | "email" | "password" | "org_name";
const fields: readonly Fields[] = ["full_name", "email", "password", "org_name"];

/**
 * The sign-up form. With `inviteToken` it accepts an invitation: the new user joins the inviting
 * organization, so there is no organization name to choose.
 */
export function SignUpForm({
  redirect,
  inviteToken,
  initialEmail = "",
}: {
  redirect: string | undefined;
  inviteToken?: string;
  initialEmail?: string;
}) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<Fields, string>>({
    full_name: "",
    email: initialEmail,
    password: "",
    org_name: "",
  });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Fields, string>>>({});

  const signUp = useMutation({
    mutationFn: async () => {
      const body: Schemas["SignupRequest"] = {
        full_name: values.full_name.trim(),
        email: values.email.trim(),
        password: values.password,
      };
      if (inviteToken) body.invite_token = inviteToken;
      else if (values.org_name.trim() !== "") body.org_name = values.org_name.trim();
      return unwrap(await api.POST("/api/v1/auth/signup", {
        body,
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
      if (!(error instanceof ApiError)) return;
      const server = error.fieldErrors;
      const next: Partial<Record<Fields, string>> = {};
      for (const field of fields) if (server[field]) next[field] = server[field];
      setFieldErrors(next);
    },
  });

  function validate(): Partial<Record<Fields, string>> {
    const errors: Partial<Record<Fields, string>> = {};
    if (values.full_name.trim() === "") errors.full_name = t("auth.errors.nameRequired");
    if (values.email.trim() === "") errors.email = t("auth.errors.emailRequired");
    else if (!looksLikeEmail(values.email)) errors.email = t("auth.errors.emailInvalid");
    const problem = passwordProblem(values.password, values.email);
    if (problem) errors.password = t(`auth.errors.password.${problem}`, { min: passwordMinLength, max: passwordMaxBytes });
    return errors;
  }

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const errors = validate();
    setFieldErrors(errors);
    if (Object.keys(errors).length === 0) signUp.mutate();
  }

  function bind(field: Fields) {
    return {
      value: values[field],
      onChange: (event: { target: { value: string } }) => {
        setValues((current) => ({ ...current, [field]: event.target.value }));
      },
    };
  }

  return (
    <form noValidate onSubmit={submit} className="flex flex-col gap-4">
      {signUp.isError ? <ErrorAlert error={signUp.error} title={t("auth.signUp.failed")} /> : null}
      <Field label={t("auth.fields.fullName")} error={fieldErrors.full_name}>
        {(props) => <Input {...props} autoComplete="name" maxLength={200} {...bind("full_name")} />}
      </Field>
      <Field label={t("auth.fields.email")} error={fieldErrors.email}>
        {(props) => <Input {...props} type="email" autoComplete="email" maxLength={254} {...bind("email")} />}
      </Field>
      <Field
        label={t("auth.fields.password")}
        hint={t("auth.passwordHint", { min: passwordMinLength, max: passwordMaxBytes })}
        error={fieldErrors.password}
      >
        {(props) => <Input {...props} type="password" autoComplete="new-password" {...bind("password")} />}
      </Field>
      {inviteToken ? null : (
        <Field label={t("auth.fields.orgName")} hint={t("auth.orgNameHint")} error={fieldErrors.org_name}>
          {(props) => <Input {...props} autoComplete="organization" maxLength={100} {...bind("org_name")} />}
        </Field>
      )}
      <Button type="submit" disabled={signUp.isPending}>
        {signUp.isPending
          ? t("auth.signUp.pending")
          : inviteToken
            ? t("auth.invite.submit")
            : t("auth.signUp.submit")}
      </Button>
    </form>
  );
}
