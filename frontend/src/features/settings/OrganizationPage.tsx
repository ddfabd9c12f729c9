import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, type Schemas } from "@/api/client";
import { unwrap } from "@/api/unwrap";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ErrorAlert, Field } from "@/components/form";
import { Loading } from "@/components/loading";
import { NeedsRole } from "@/components/needs-role";
import { PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { useConfirmDelete } from "@/components/use-confirm-delete";
import { logout, session } from "@/features/auth/auth";
import { authKeys, useHasRole } from "@/features/auth/hooks";
import { useFormatDateTime } from "@/lib/datetime";
import { orgQuery, type Org } from "./api";

type Fields = "name" | "slug" | "default_schema";
const fields: readonly Fields[] = ["name", "slug", "default_schema"];

export function OrganizationPage() {
  const { t } = useTranslation();
  const org = useQuery(orgQuery);
  const isAdmin = useHasRole("admin");
  const isOwner = useHasRole("owner");
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={t("nav.organization")} description={t("sections.organization.description")} eyebrow={t("nav.settings")} />
      {org.isPending ? <Loading /> : null}
      {org.isError ? <ErrorAlert error={org.error} title={t("settings.org.loadFailed")} /> : null}
      {org.data ? (
        <>
          {isAdmin ? <OrgForm org={org.data} /> : <OrgFacts org={org.data} />}
          {isAdmin ? null : <NeedsRole role="admin" what={t("settings.org.adminOnly")} />}
          {isOwner ? <DeleteOrg org={org.data} /> : null}
        </>
      ) : null}
    </div>
  );
}

function OrgFacts({ org }: { org: Org }) {
  const { t } = useTranslation();
  const format = useFormatDateTime();
  return (
    <Card>
      <CardContent className="pt-6">
        <dl className="grid grid-cols-[minmax(8rem,auto)_1fr] gap-x-4 gap-y-2 text-sm">
          <dt className="text-muted-foreground">{t("settings.org.name")}</dt>
          <dd>{org.name}</dd>
          <dt className="text-muted-foreground">{t("settings.org.slug")}</dt>
          <dd>
            <code className="font-mono text-xs">{org.slug}</code>
          </dd>
          <dt className="text-muted-foreground">{t("settings.org.defaultSchema")}</dt>
          <dd>
            <code className="font-mono text-xs">{org.default_schema}</code>
          </dd>
          <dt className="text-muted-foreground">{t("settings.org.createdAt")}</dt>
          <dd>{format(org.created_at)}</dd>
        </dl>
      </CardContent>
    </Card>
  );
}

function OrgForm({ org }: { org: Org }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<Fields, string>>({
    name: org.name,
    slug: org.slug,
    default_schema: org.default_schema,
  });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Fields, string>>>({});
  const save = useMutation({
    mutationFn: async () => {
      const body: Schemas["UpdateOrgRequest"] = {};
      for (const field of fields) if (values[field].trim() !== org[field]) body[field] = values[field].trim();
      return unwrap(await api.PATCH("/api/v1/org", { body }));
    },
    onSuccess: (data) => {
      setFieldErrors({});
      queryClient.setQueryData(orgQuery.queryKey, data);
      session.update({ org: { id: data.id, name: data.name, slug: data.slug } });
      void queryClient.invalidateQueries({ queryKey: authKeys.me });
    },
    onError: (error) => {
      if (!(error instanceof ApiError)) return;
      const server = error.fieldErrors;
      const next: Partial<Record<Fields, string>> = {};
      for (const field of fields) if (server[field]) next[field] = server[field];
      setFieldErrors(next);
    },
  });

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const errors: Partial<Record<Fields, string>> = {};
    if (values.name.trim() === "") errors.name = t("settings.org.errors.nameRequired");
    if (!/^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(values.slug.trim())) errors.slug = t("settings.org.errors.slug");
    if (!/^[a-z_][a-z0-9_]*$/.test(values.default_schema.trim())) errors.default_schema = t("settings.org.errors.schema");
    setFieldErrors(errors);
    if (Object.keys(errors).length === 0) save.mutate();
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
    <Card>
      <CardHeader>
        <CardTitle>{t("settings.org.settingsTitle")}</CardTitle>
      </CardHeader>
      <CardContent>
        <form noValidate onSubmit={submit} className="flex max-w-xl flex-col gap-4">
          {save.isError ? <ErrorAlert error={save.error} title={t("settings.org.saveFailed")} /> : null}
          {save.isSuccess ? (
            <p role="status" className="text-sm text-success">
              {t("settings.org.saved")}
            </p>
          ) : null}
          <Field label={t("settings.org.name")} error={fieldErrors.name}>
            {(props) => <Input {...props} maxLength={100} {...bind("name")} />}
          </Field>
          <Field label={t("settings.org.slug")} hint={t("settings.org.slugHint")} error={fieldErrors.slug}>
            {(props) => <Input {...props} maxLength={63} {...bind("slug")} />}
          </Field>
          <Field
            label={t("settings.org.defaultSchema")}
            hint={t("settings.org.defaultSchemaHint")}
            error={fieldErrors.default_schema}
          >
            {(props) => <Input {...props} maxLength={63} {...bind("default_schema")} />}
          </Field>
          <div>
            <Button type="submit" disabled={save.isPending}>
              {t("common.save")}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

function DeleteOrg({ org }: { org: Org }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [typed, setTyped] = useState("");
  const remove = useConfirmDelete<Org>({
    remove: async () => {
      unwrap(await api.DELETE("/api/v1/org"));
    },
    // Deleting the organization ends the session: the dialog stays until the sign-in page shows.
    closeOnSuccess: false,
    onDeleted: async () => {
      await logout().catch(() => undefined);
      queryClient.clear();
      await navigate({ to: "/sign-in", replace: true });
    },
  });
  return (
    <Card className="border-destructive/50">
      <CardHeader>
        <CardTitle>{t("settings.org.deleteTitle")}</CardTitle>
        <CardDescription>{t("settings.org.deleteDescription")}</CardDescription>
      </CardHeader>
      <CardContent>
        <Button
          variant="destructive"
          onClick={() => {
            setTyped("");
            remove.ask(org);
          }}
        >
          {t("settings.org.delete")}
        </Button>
        <ConfirmDialog
          {...remove.dialog}
          title={t("settings.org.deleteConfirmTitle", { name: org.name })}
          description={t("settings.org.deleteConfirmBody")}
          confirmLabel={t("settings.org.delete")}
          confirmDisabled={typed !== org.slug}
        >
          <Field label={t("settings.org.typeSlug", { slug: org.slug })}>
            {(props) => (
              <Input
                {...props}
                autoComplete="off"
                value={typed}
                onChange={(event) => {
                  setTyped(event.target.value);
                }}
              />
            )}
          </Field>
        </ConfirmDialog>
      </CardContent>
    </Card>
  );
}
