import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "@/api/client";
import { unwrap } from "@/api/unwrap";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { CopyButton, ErrorAlert, Field } from "@/components/form";
import { Loading } from "@/components/loading";
import { NeedsRole } from "@/components/needs-role";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Input, NativeSelect } from "@/components/ui/input";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useConfirmDelete } from "@/components/use-confirm-delete";
import { useRole, useSession } from "@/features/auth/hooks";
import { assignableRoles, hasRole } from "@/features/auth/roles";
import type { Role } from "@/features/auth/session";
import { looksLikeEmail } from "@/features/auth/validation";
import { useFormatDateTime } from "@/lib/datetime";
import { invitationsQuery, membersQuery, settingsKeys, type Invitation, type Member } from "./api";

export function MembersPage() {
  const { t } = useTranslation();
  const role = useRole();
  const isAdmin = hasRole(role, "admin");
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={t("nav.members")} description={t("sections.members.description")} eyebrow={t("nav.settings")} />
      {isAdmin ? <InviteForm /> : <NeedsRole role="admin" what={t("settings.members.adminOnly")} />}
      <MembersTable />
      {isAdmin ? <Invitations /> : null}
    </div>
  );
}

function InviteForm() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const role = useRole();
  const options = assignableRoles(role);
  const [email, setEmail] = useState("");
  const [newRole, setNewRole] = useState<Role>("viewer");
  const [emailError, setEmailError] = useState<string | undefined>();
  const invite = useMutation({
    mutationFn: async () => {
      const result = await api.POST("/api/v1/members", {
        body: { email: email.trim(), role: newRole },
      });
      const data = unwrap(result);
      return result.response.status === 202
        ? { kind: "invitation" as const, invitation: data as Invitation }
        : { kind: "member" as const, member: data as Member };
    },
    onSuccess: async () => {
      setEmail("");
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: settingsKeys.members }),
        queryClient.invalidateQueries({ queryKey: settingsKeys.invitations }),
      ]);
    },
    onError: (error) => {
      setEmailError(error instanceof ApiError ? error.fieldErrors.email : undefined);
    },
  });

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const error = looksLikeEmail(email) ? undefined : t("auth.errors.emailInvalid");
    setEmailError(error);
    if (!error) invite.mutate();
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("settings.members.inviteTitle")}</CardTitle>
      </CardHeader>
      <CardContent className="flex flex-col gap-4">
        <form noValidate onSubmit={submit} className="grid gap-4 sm:grid-cols-[1fr_12rem_auto] sm:items-start">
          <Field label={t("auth.fields.email")} error={emailError}>
            {(props) => (
              <Input
                {...props}
                type="email"
                value={email}
                onChange={(event) => {
                  setEmail(event.target.value);
                }}
              />
            )}
          </Field>
          <Field label={t("settings.members.role")}>
            {(props) => (
              <NativeSelect
                {...props}
                value={newRole}
                onChange={(event) => {
                  setNewRole(event.target.value as Role);
                }}
              >
                {options.map((option) => (
                  <option key={option} value={option}>
                    {t(`roles.${option}`)}
                  </option>
                ))}
              </NativeSelect>
            )}
          </Field>
          <Button type="submit" className="sm:mt-6" disabled={invite.isPending}>
            {t("settings.members.invite")}
          </Button>
        </form>
        {invite.isError ? <ErrorAlert error={invite.error} title={t("settings.members.inviteFailed")} /> : null}
        {invite.data?.kind === "member" ? (
          <p role="status" className="text-sm text-success">
            {t("settings.members.added", { email: invite.data.member.email, role: t(`roles.${invite.data.member.role}`) })}
          </p>
        ) : null}
        {invite.data?.kind === "invitation" ? <InvitationSent invitation={invite.data.invitation} /> : null}
      </CardContent>
    </Card>
  );
}

function InvitationSent({ invitation }: { invitation: Invitation }) {
  const { t } = useTranslation();
  if (!invitation.accept_url) {
    return (
      <p role="status" className="text-sm text-success">
        {t("settings.members.invitationEmailed", { email: invitation.email })}
      </p>
    );
  }
  return (
    <Alert role="status">
      <AlertTitle>{t("settings.members.invitationCreated", { email: invitation.email })}</AlertTitle>
      <AlertDescription>
        <p>{t("settings.members.invitationShareLink")}</p>
        <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
          <code data-testid="accept-url" className="min-w-0 flex-1 rounded bg-muted px-2 py-1 font-mono text-xs break-all text-foreground">
            {invitation.accept_url}
          </code>
          <CopyButton value={invitation.accept_url} label={t("settings.members.copyLink")} />
        </div>
      </AlertDescription>
    </Alert>
  );
}

function MembersTable() {
  const { t } = useTranslation();
  const members = useQuery(membersQuery);
  const role = useRole();
  const me = useSession();
  const queryClient = useQueryClient();
  const format = useFormatDateTime();
  const isAdmin = hasRole(role, "admin");
  const isOwner = role === "owner";

  const changeRole = useMutation({
    mutationFn: async ({ member, next }: { member: Member; next: Role }) => {
      return unwrap(await api.PATCH("/api/v1/members/{user_id}", {
        params: { path: { user_id: member.user_id } },
        body: { role: next },
      }));
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: settingsKeys.members }),
  });
  const remove = useConfirmDelete({
    remove: async (member: Member) => {
      unwrap(await api.DELETE("/api/v1/members/{user_id}", {
        params: { path: { user_id: member.user_id } },
      }));
    },
    onDeleted: () => queryClient.invalidateQueries({ queryKey: settingsKeys.members }),
  });

  /** Owners alone may touch an owner; admins manage everyone else. */
  const canManage = (member: Member) => isAdmin && (member.role !== "owner" || isOwner);

  return (
    <section aria-labelledby="members-heading" className="flex flex-col gap-3">
      <h2 id="members-heading" className="text-lg font-semibold">
        {t("settings.members.listTitle")}
      </h2>
      {changeRole.isError ? <ErrorAlert error={changeRole.error} title={t("settings.members.roleFailed")} /> : null}
      {members.isPending ? <Loading /> : null}
      {members.isError ? <ErrorAlert error={members.error} title={t("settings.members.loadFailed")} /> : null}
      {members.data?.length === 0 ? <EmptyState>{t("settings.members.empty")}</EmptyState> : null}
      {members.data && members.data.length > 0 ? (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>{t("settings.members.name")}</TableHead>
              <TableHead>{t("auth.fields.email")}</TableHead>
              <TableHead>{t("settings.members.role")}</TableHead>
              <TableHead>{t("settings.members.joined")}</TableHead>
              {isAdmin ? (
                <TableHead>
                  <span className="sr-only">{t("common.actions")}</span>
                </TableHead>
              ) : null}
            </TableRow>
          </TableHeader>
          <TableBody>
            {members.data.map((member) => (
              <TableRow key={member.user_id}>
                <TableCell className="font-medium">
                  {member.full_name}
                  {member.user_id === me?.user.id ? (
                    <span className="ml-2 text-xs text-muted-foreground">{t("settings.members.you")}</span>
                  ) : null}
                </TableCell>
                <TableCell>{member.email}</TableCell>
                <TableCell>
                  {canManage(member) ? (
                    <NativeSelect
                      aria-label={t("settings.members.roleOf", { name: member.full_name })}
                      className="w-36"
                      value={member.role}
                      disabled={changeRole.isPending}
                      onChange={(event) => {
                        changeRole.mutate({ member, next: event.target.value as Role });
                      }}
                    >
                      {assignableRoles(role).map((option) => (
                        <option key={option} value={option}>
                          {t(`roles.${option}`)}
                        </option>
                      ))}
                    </NativeSelect>
                  ) : (
                    <Badge variant="secondary">{t(`roles.${member.role}`)}</Badge>
                  )}
                </TableCell>
                <TableCell>{format(member.joined_at)}</TableCell>
                {isAdmin ? (
                  <TableCell className="text-right">
                    {canManage(member) ? (
                      <Button
                        aria-label={`${t("settings.members.remove")} ${member.full_name}`}
                        variant="ghost"
                        size="sm"
                        onClick={() => {
                          remove.ask(member);
                        }}
                      >
                        {t("settings.members.remove")}
                      </Button>
                    ) : null}
                  </TableCell>
                ) : null}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
      <ConfirmDialog
        {...remove.dialog}
        title={t("settings.members.removeTitle", { name: remove.target?.full_name ?? "" })}
        description={t("settings.members.removeBody", { email: remove.target?.email ?? "" })}
        confirmLabel={t("settings.members.remove")}
      />
    </section>
  );
}

function Invitations() {
  const { t } = useTranslation();
  const invitations = useQuery(invitationsQuery);
  const queryClient = useQueryClient();
  const format = useFormatDateTime();
  const revoke = useConfirmDelete({
    remove: async (invitation: Invitation) => {
      unwrap(await api.DELETE("/api/v1/invitations/{id}", {
        params: { path: { id: invitation.id } },
      }));
    },
    onDeleted: () => queryClient.invalidateQueries({ queryKey: settingsKeys.invitations }),
  });
  return (
    <section aria-labelledby="invitations-heading" className="flex flex-col gap-3">
      <h2 id="invitations-heading" className="text-lg font-semibold">
        {t("settings.invitations.title")}
      </h2>
      {invitations.isPending ? <Loading /> : null}
      {invitations.isError ? <ErrorAlert error={invitations.error} title={t("settings.invitations.loadFailed")} /> : null}
      {invitations.data?.length === 0 ? <EmptyState>{t("settings.invitations.empty")}</EmptyState> : null}
      {invitations.data && invitations.data.length > 0 ? (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>{t("auth.fields.email")}</TableHead>
              <TableHead>{t("settings.members.role")}</TableHead>
              <TableHead>{t("settings.invitations.expires")}</TableHead>
              <TableHead>
                <span className="sr-only">{t("common.actions")}</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {invitations.data.map((invitation) => (
              <TableRow key={invitation.id}>
                <TableCell className="font-medium">{invitation.email}</TableCell>
                <TableCell>
                  <Badge variant="secondary">{t(`roles.${invitation.role}`)}</Badge>
                </TableCell>
                <TableCell>{format(invitation.expires_at)}</TableCell>
                <TableCell className="flex justify-end gap-2">
                  {invitation.accept_url ? (
                    <CopyButton value={invitation.accept_url} label={t("settings.members.copyLink")} />
                  ) : null}
                  <Button
                    aria-label={`${t("settings.invitations.revoke")} ${invitation.email}`}
                    variant="ghost"
                    size="sm"
                    onClick={() => {
                      revoke.ask(invitation);
                    }}
                  >
                    {t("settings.invitations.revoke")}
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
      <ConfirmDialog
        {...revoke.dialog}
        title={t("settings.invitations.revokeTitle", { email: revoke.target?.email ?? "" })}
        description={t("settings.invitations.revokeBody")}
        confirmLabel={t("settings.invitations.revoke")}
      />
    </section>
  );
}
