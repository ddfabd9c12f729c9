import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "@/api/client";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { CopyButton, ErrorAlert, Field } from "@/components/form";
import { PageHeader } from "@/components/page-header";
import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Input, NativeSelect } from "@/components/ui/input";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useRole, useSession } from "@/features/auth/hooks";
import { assignableRoles, hasRole } from "@/features/auth/roles";
import type { Role } from "@/features/auth/session";
import { looksLikeEmail } from "@/features/auth/validation";
import { invitationsQuery, membersQuery, type Invitation, type Member } from "./api";
import { EmptyState, Loading, NeedsRole, useFormatDateTime } from "./common";

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
      const { data, error, response } = await api.POST("/api/v1/members", {
        body: { email: email.trim(), role: newRole },
      });
      if (!data) throw ApiError.from(response, error);
      return response.status === 202
        ? { kind: "invitation" as const, invitation: data as Invitation }
        : { kind: "member" as const, member: data as Member };
    },
    onSuccess: async () => {
      setEmail("");
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: membersQuery.queryKey }),
        queryClient.invalidateQueries({ queryKey: invitationsQuery.queryKey }),
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
  const [removing, setRemoving] = useState<Member | null>(null);
  const isAdmin = hasRole(role, "admin");
  const isOwner = role === "owner";

  const changeRole = useMutation({
    mutationFn: async ({ member, next }: { member: Member; next: Role }) => {
      const { data, error, response } = await api.PATCH("/api/v1/members/{user_id}", {
        params: { path: { user_id: member.user_id } },
        body: { role: next },
      });
      if (!data) throw ApiError.from(response, error);
      return data;
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: membersQuery.queryKey }),
  });
  const remove = useMutation({
    mutationFn: async (member: Member) => {
      const { error, response } = await api.DELETE("/api/v1/members/{user_id}", {
        params: { path: { user_id: member.user_id } },
      });
      if (!response.ok) throw ApiError.from(response, error);
    },
    onSuccess: async () => {
      setRemoving(null);
      await queryClient.invalidateQueries({ queryKey: membersQuery.queryKey });
    },
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
                          remove.reset();
                          setRemoving(member);
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
        open={removing !== null}
        onOpenChange={(open) => {
          if (!open) setRemoving(null);
        }}
        title={t("settings.members.removeTitle", { name: removing?.full_name ?? "" })}
        description={t("settings.members.removeBody", { email: removing?.email ?? "" })}
        confirmLabel={t("settings.members.remove")}
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => {
          if (removing) remove.mutate(removing);
        }}
      />
    </section>
  );
}

function Invitations() {
  const { t } = useTranslation();
  const invitations = useQuery(invitationsQuery);
  const queryClient = useQueryClient();
  const format = useFormatDateTime();
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const revoke = useMutation({
    mutationFn: async (invitation: Invitation) => {
      const { error, response } = await api.DELETE("/api/v1/invitations/{id}", {
        params: { path: { id: invitation.id } },
      });
      if (!response.ok) throw ApiError.from(response, error);
    },
    onSuccess: async () => {
      setRevoking(null);
      await queryClient.invalidateQueries({ queryKey: invitationsQuery.queryKey });
    },
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
                      revoke.reset();
                      setRevoking(invitation);
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
        open={revoking !== null}
        onOpenChange={(open) => {
          if (!open) setRevoking(null);
        }}
        title={t("settings.invitations.revokeTitle", { email: revoking?.email ?? "" })}
        description={t("settings.invitations.revokeBody")}
        confirmLabel={t("settings.invitations.revoke")}
        pending={revoke.isPending}
        error={revoke.error}
        onConfirm={() => {
          if (revoking) revoke.mutate(revoking);
        }}
      />
    </section>
  );
}
