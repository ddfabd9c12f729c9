package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/mail"
	"github.com/datanika/datanika/internal/testutil"
)

func TestMembers_LastOwnerCanBeNeitherDemotedNorRemoved(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	ownerPath := fmt.Sprintf("/api/v1/members/%d", f.owner.User.Id)
	decodeProblem(t, s.call(t, http.MethodPatch, ownerPath, f.owner.AccessToken, map[string]any{"role": "admin"}), http.StatusConflict)
	decodeProblem(t, s.call(t, http.MethodDelete, ownerPath, f.owner.AccessToken, nil), http.StatusConflict)

	// With a second owner, the first may step down.
	adminPath := fmt.Sprintf("/api/v1/members/%d", f.admin.User.Id)
	decode[api.Member](t, s.call(t, http.MethodPatch, adminPath, f.owner.AccessToken, map[string]any{"role": "owner"}), http.StatusOK)
	m := decode[api.Member](t, s.call(t, http.MethodPatch, ownerPath, f.owner.AccessToken, map[string]any{"role": "admin"}), http.StatusOK)
	require.Equal(t, api.Role("admin"), m.Role)
}

func TestMembers_OnlyOwnersGrantOrRevokeOwner(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	viewerPath := fmt.Sprintf("/api/v1/members/%d", f.viewer.User.Id)
	ownerPath := fmt.Sprintf("/api/v1/members/%d", f.owner.User.Id)
	decodeProblem(t, s.call(t, http.MethodPatch, viewerPath, f.admin.AccessToken, map[string]any{"role": "owner"}), http.StatusForbidden)
	decodeProblem(t, s.call(t, http.MethodPatch, ownerPath, f.admin.AccessToken, map[string]any{"role": "viewer"}), http.StatusForbidden)
	decodeProblem(t, s.call(t, http.MethodDelete, ownerPath, f.admin.AccessToken, nil), http.StatusForbidden)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/members", f.admin.AccessToken, map[string]any{"email": uniqueEmail("x"), "role": "owner"}), http.StatusForbidden)
	// Admins manage roles up to admin.
	m := decode[api.Member](t, s.call(t, http.MethodPatch, viewerPath, f.admin.AccessToken, map[string]any{"role": "admin"}), http.StatusOK)
	require.Equal(t, api.Role("admin"), m.Role)
}

func TestMembers_RoleChangeTakesEffectOnTheNextRequest(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/api-keys", f.viewer.AccessToken, nil), http.StatusForbidden)
	decode[api.Member](t, s.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/members/%d", f.viewer.User.Id), f.owner.AccessToken, map[string]any{"role": "admin"}), http.StatusOK)
	decode[api.ApiKeyList](t, s.call(t, http.MethodGet, "/api/v1/api-keys", f.viewer.AccessToken, nil), http.StatusOK)

	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/members/%d", f.viewer.User.Id), f.owner.AccessToken, nil).Code)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/org", f.viewer.AccessToken, nil), http.StatusUnauthorized)
	// Their session in this org is gone too.
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": f.viewer.RefreshToken}), http.StatusUnauthorized)
}

func TestMembers_BadInputAnswers422(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/members", f.owner.AccessToken, map[string]any{"email": "x@example.com", "role": "god"}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "role")
	p = decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/members", f.owner.AccessToken, map[string]any{"email": "nope", "role": "viewer"}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "email")
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/members", f.owner.AccessToken, map[string]any{"email": f.viewer.User.Email, "role": "viewer"}), http.StatusConflict)
	decodeProblem(t, s.call(t, http.MethodPatch, "/api/v1/members/999999", f.owner.AccessToken, map[string]any{"role": "viewer"}), http.StatusNotFound)
	p = decodeProblem(t, s.call(t, http.MethodPatch, "/api/v1/members/abc", f.owner.AccessToken, map[string]any{"role": "viewer"}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "user_id")
}

func TestInvitations_UnknownEmailIsInvitedAndJoinsBySigningUp(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	email := uniqueEmail("newcomer")
	inv := decode[api.Invitation](t, s.call(t, http.MethodPost, "/api/v1/members", f.admin.AccessToken, map[string]any{"email": email, "role": "editor"}), http.StatusAccepted)
	require.Equal(t, email, inv.Email)
	require.NotNil(t, inv.Emailed)
	require.False(t, *inv.Emailed, "no SMTP configured: the link is returned to the admin")
	u, err := url.Parse(*inv.AcceptUrl)
	require.NoError(t, err)
	require.Equal(t, "http://datanika.test/invite", u.Scheme+"://"+u.Host+u.Path)
	token := u.Query().Get("token")
	require.NotEmpty(t, token)

	listed := decode[api.InvitationList](t, s.call(t, http.MethodGet, "/api/v1/invitations", f.owner.AccessToken, nil), http.StatusOK)
	require.Len(t, listed.Items, 1)
	require.NotContains(t, s.call(t, http.MethodGet, "/api/v1/invitations", f.owner.AccessToken, nil).Body.String(), token)

	// Another address cannot use it.
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": uniqueEmail("thief"), "password": testPassword, "full_name": "Thief", "invite_token": token}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "email")

	joined := decode[api.TokenResponse](t, s.call(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": email, "password": testPassword, "full_name": "Newcomer", "invite_token": token}), http.StatusCreated)
	require.Equal(t, f.orgID, joined.Org.Id)
	require.Equal(t, api.Role("editor"), joined.Role)

	// Used once.
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": uniqueEmail("again"), "password": testPassword, "full_name": "Again", "invite_token": token}), http.StatusUnprocessableEntity)
	listed = decode[api.InvitationList](t, s.call(t, http.MethodGet, "/api/v1/invitations", f.owner.AccessToken, nil), http.StatusOK)
	require.Empty(t, listed.Items)
}

func TestInvitations_RevokedOnesCannotBeAccepted(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	email := uniqueEmail("revoked")
	inv := decode[api.Invitation](t, s.call(t, http.MethodPost, "/api/v1/members", f.owner.AccessToken, map[string]any{"email": email, "role": "viewer"}), http.StatusAccepted)
	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/invitations/%d", inv.Id), f.owner.AccessToken, nil).Code)
	u, err := url.Parse(*inv.AcceptUrl)
	require.NoError(t, err)
	token := u.Query().Get("token")
	require.Equal(t, email, u.Query().Get("email"))
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": email, "password": testPassword, "full_name": "Late", "invite_token": token}), http.StatusUnprocessableEntity)
}

func TestOrg_UpdateValidatesAndSlugsStayUnique(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f, g := s.newOrg(t), s.newOrg(t)
	o := decode[api.Org](t, s.call(t, http.MethodPatch, "/api/v1/org", f.admin.AccessToken, map[string]any{"name": "Acme Data", "slug": "acme-data", "default_schema": "marts"}), http.StatusOK)
	require.Equal(t, "acme-data", o.Slug)
	require.Equal(t, "marts", o.DefaultSchema)
	p := decodeProblem(t, s.call(t, http.MethodPatch, "/api/v1/org", g.owner.AccessToken, map[string]any{"slug": "acme-data"}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "slug")
	p = decodeProblem(t, s.call(t, http.MethodPatch, "/api/v1/org", g.owner.AccessToken, map[string]any{"slug": "Bad Slug!", "default_schema": "1bad"}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "slug")
	require.Contains(t, fieldsOf(p), "default_schema")
}

func TestOrg_DeleteEndsEveryMembershipAndKey(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	key := s.createKey(t, f, "admin")
	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, "/api/v1/org", f.owner.AccessToken, nil).Code)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/org", f.owner.AccessToken, nil), http.StatusUnauthorized)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/org", key.Key, nil), http.StatusUnauthorized)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/org", f.viewer.AccessToken, nil), http.StatusUnauthorized)
}

func TestAuditLog_RecordsChangesWithoutSecretsAndFilters(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	key := s.createKey(t, f, "read")
	decode[api.Me](t, s.call(t, http.MethodPatch, "/api/v1/me", f.owner.AccessToken, map[string]any{"password": "another fine password", "current_password": testPassword}), http.StatusOK)
	decode[api.Org](t, s.call(t, http.MethodPatch, "/api/v1/org", f.owner.AccessToken, map[string]any{"name": "Audited"}), http.StatusOK)

	rec := s.call(t, http.MethodGet, "/api/v1/audit-logs?limit=500", f.owner.AccessToken, nil)
	logs := decode[api.AuditLogList](t, rec, http.StatusOK)
	body := rec.Body.String()
	for _, secret := range []string{key.Key, testPassword, "another fine password", f.owner.RefreshToken, f.owner.AccessToken} {
		require.NotContains(t, body, secret)
	}
	actions := map[string]int{}
	for _, e := range logs.Items {
		actions[e.Action]++
	}
	for _, want := range []string{"org.create", "auth.signup", "member.add", "api_key.create", "user.update", "org.update"} {
		require.Positive(t, actions[want], "missing audit action %s in %v", want, actions)
	}

	filtered := decode[api.AuditLogList](t, s.call(t, http.MethodGet, "/api/v1/audit-logs?action=org.update", f.owner.AccessToken, nil), http.StatusOK)
	require.Len(t, filtered.Items, 1)
	e := filtered.Items[0]
	require.Equal(t, "organization", e.ResourceType)
	require.Equal(t, api.AuditActorType("user"), e.Actor.Type)
	require.Equal(t, f.owner.User.Id, *e.Actor.Id)
	require.Equal(t, "Audited", (*e.NewValues)["name"])
	require.NotNil(t, e.Ip)

	// Paging: newest first, a cursor to the rest.
	page := decode[api.AuditLogList](t, s.call(t, http.MethodGet, "/api/v1/audit-logs?limit=2", f.owner.AccessToken, nil), http.StatusOK)
	require.Len(t, page.Items, 2)
	require.NotNil(t, page.NextCursor)
	require.Greater(t, page.Items[0].Id, page.Items[1].Id)
	next := decode[api.AuditLogList](t, s.call(t, http.MethodGet, "/api/v1/audit-logs?limit=2&cursor="+*page.NextCursor, f.owner.AccessToken, nil), http.StatusOK)
	require.Less(t, next.Items[0].Id, page.Items[1].Id)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/audit-logs?cursor=garbage", f.owner.AccessToken, nil), http.StatusUnprocessableEntity)
}

func TestInvitations_AreEmailedWhenSMTPIsConfigured(t *testing.T) {
	t.Parallel()
	fake := testutil.StartFakeSMTP(t)
	mailer, err := mail.Parse("smtp://" + fake.Addr + "?from=datanika@example.com")
	require.NoError(t, err)
	s := setupDB(t, func(d *Deps) { d.Mailer = mailer })
	f := s.newOrg(t)
	email := uniqueEmail("emailed")
	inv := decode[api.Invitation](t, s.call(t, http.MethodPost, "/api/v1/members", f.owner.AccessToken, map[string]any{"email": email, "role": "viewer"}), http.StatusAccepted)
	require.True(t, *inv.Emailed)
	require.Nil(t, inv.AcceptUrl, "an emailed invitation's link goes to the invitee only")

	msg := <-fake.Received
	require.Contains(t, msg, "RCPT TO:<"+email+">")
	i := strings.Index(msg, "http://datanika.test/invite?token=")
	require.Positive(t, i)
	link, err := url.Parse(strings.Fields(msg[i:])[0])
	require.NoError(t, err)
	token := link.Query().Get("token")
	joined := decode[api.TokenResponse](t, s.call(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": email, "password": testPassword, "full_name": "Emailed", "invite_token": token}), http.StatusCreated)
	require.Equal(t, f.orgID, joined.Org.Id)
}

func TestInvitations_FailedDeliveryFallsBackToTheLink(t *testing.T) {
	t.Parallel()
	mailer, err := mail.Parse("smtp://127.0.0.1:1?from=datanika@example.com")
	require.NoError(t, err)
	s := setupDB(t, func(d *Deps) { d.Mailer = mailer })
	f := s.newOrg(t)
	inv := decode[api.Invitation](t, s.call(t, http.MethodPost, "/api/v1/members", f.owner.AccessToken, map[string]any{"email": uniqueEmail("undeliverable"), "role": "viewer"}), http.StatusAccepted)
	require.False(t, *inv.Emailed)
	require.NotNil(t, inv.AcceptUrl)
}
