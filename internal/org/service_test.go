package org

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/identity"
	"github.com/datanika/datanika/internal/testutil"
)

func TestMain(m *testing.M) {
	auth.BcryptCost = bcrypt.MinCost
	os.Exit(m.Run())
}

const testPassword = "correct horse battery"

// env is the org service and the identity service it works with, with one org whose owner
// signed up: in a rolled-back transaction (newEnv, the fast tier) or on a database of their own
// (newEnvDB, for tests that race or assert fixed slugs).
type env struct {
	s     *Service
	id    *identity.Service
	owner dbgen.DBTX
	// org is the owner's session in the org under test.
	org identity.Session
	// domain is the email domain of the env's users: unique per fast-tier test, since parallel
	// tests' uncommitted rows make a second insert of one email wait for the first test's end.
	domain string
}

var envSeq atomic.Int64

// mail is the address local@domain of the env.
func (e *env) mail(local string) string { return local + "@" + e.domain }

func newEnv(t *testing.T) *env {
	t.Helper()
	tx := testutil.Tx(t)
	return build(t, tx, testutil.AsOwner(t, tx), fmt.Sprintf("t%d.example.com", envSeq.Add(1)))
}

func newEnvDB(t *testing.T) *env {
	t.Helper()
	_, dbURL := testutil.NewDatabase(t)
	app := testutil.AppPool(t, dbURL)
	return build(t, app, testutil.OwnerPool(t, app), "example.com")
}

func build(t *testing.T, db database.DB, owner dbgen.DBTX, domain string) *env {
	t.Helper()
	ident := identity.New(db, auth.NewTokens("test-secret-key-with-at-least-32-characters", nil), testutil.Logger())
	e := &env{s: New(db, ident, "https://datanika.example.com/", nil, testutil.Logger()), id: ident, owner: owner, domain: domain}
	e.org = e.signup(t, e.mail("owner"))
	return e
}

func (e *env) signup(t *testing.T, email string) identity.Session {
	t.Helper()
	sess, err := e.id.Signup(context.Background(), identity.SignupInput{Email: email, Password: testPassword, FullName: "Person " + email}, "192.0.2.1")
	require.NoError(t, err)
	return sess
}

func (e *env) principal(t *testing.T, sess identity.Session) auth.Principal {
	t.Helper()
	p, err := e.id.Authenticate(context.Background(), sess.AccessToken)
	require.NoError(t, err)
	return p
}

// ownerP is the org owner's principal.
func (e *env) ownerP(t *testing.T) auth.Principal { return e.principal(t, e.org) }

// member signs a new user up and adds them to the org with role; it returns their session in
// the org.
func (e *env) member(t *testing.T, email string, role auth.Role) identity.Session {
	t.Helper()
	ctx := context.Background()
	own := e.signup(t, email)
	m, inv, err := e.s.AddMember(ctx, e.ownerP(t), email, string(role))
	require.NoError(t, err)
	require.Nil(t, inv)
	require.Equal(t, string(role), m.Role)
	sess, err := e.id.SwitchOrg(ctx, e.principal(t, own), e.org.Org.ID)
	require.NoError(t, err)
	return sess
}

func (e *env) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.owner.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	ae := testutil.RequireKind(t, err, apperr.Invalid)
	var names []string
	for _, f := range ae.Fields {
		names = append(names, f.Field)
	}
	return names
}

func (e *env) roleOf(t *testing.T, userID int64) string {
	t.Helper()
	var role string
	require.NoError(t, e.owner.QueryRow(context.Background(), `SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2 AND deleted_at IS NULL`,
		e.org.Org.ID, userID).Scan(&role))
	return role
}

func TestMembers_TheLastOwnerCanBeNeitherDemotedNorRemoved(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.ownerP(t)
	for _, role := range []string{"admin", "editor", "viewer"} {
		_, err := e.s.UpdateMember(ctx, owner, owner.UserID, role)
		testutil.RequireKind(t, err, apperr.Conflict)
	}
	testutil.RequireKind(t, e.s.RemoveMember(ctx, owner, owner.UserID), apperr.Conflict)
	require.Equal(t, "owner", e.roleOf(t, owner.UserID))

	_, err := e.s.UpdateMember(ctx, owner, owner.UserID, "owner")
	require.NoError(t, err, "confirming the last owner as owner keeps an owner")

	second := e.member(t, e.mail("second"), auth.RoleAdmin)
	m, err := e.s.UpdateMember(ctx, owner, second.User.ID, "owner")
	require.NoError(t, err)
	require.Equal(t, "owner", m.Role)
	m, err = e.s.UpdateMember(ctx, owner, owner.UserID, "editor")
	require.NoError(t, err, "with a second owner the first may step down")
	require.Equal(t, "editor", m.Role)

	// Now the second is the last owner.
	p2 := e.principal(t, second)
	_, err = e.s.UpdateMember(ctx, p2, second.User.ID, "admin")
	testutil.RequireKind(t, err, apperr.Conflict)
	testutil.RequireKind(t, e.s.RemoveMember(ctx, p2, second.User.ID), apperr.Conflict)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM memberships WHERE org_id = $1 AND role = 'owner' AND deleted_at IS NULL`, e.org.Org.ID))
}

// Two owners demoting each other at once: the membership lock lets one through, the other finds
// the last owner and is refused, so the org never ends without an owner.
func TestMembers_ConcurrentDemotionsKeepAnOwner(t *testing.T) {
	t.Parallel()
	e, ctx := newEnvDB(t), context.Background()
	owner := e.ownerP(t)
	second := e.member(t, "second@example.com", auth.RoleOwner)
	p2 := e.principal(t, second)
	for range 3 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() { defer wg.Done(); _, errs[0] = e.s.UpdateMember(ctx, owner, second.User.ID, "admin") }()
		go func() { defer wg.Done(); _, errs[1] = e.s.UpdateMember(ctx, p2, owner.UserID, "admin") }()
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				testutil.RequireKind(t, err, apperr.Conflict)
			}
		}
		require.Equal(t, 1, ok, "exactly one demotion goes through: %v", errs)
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM memberships WHERE org_id = $1 AND role = 'owner' AND deleted_at IS NULL`, e.org.Org.ID))
		// Make both owners again for the next round, as whichever owner remains.
		for _, p := range []auth.Principal{owner, p2} {
			if e.roleOf(t, p.UserID) == "owner" {
				e.id.Forget(p.UserID, p.OrgID)
				_, err := e.s.UpdateMember(ctx, p, map[int64]int64{owner.UserID: second.User.ID, second.User.ID: owner.UserID}[p.UserID], "owner")
				require.NoError(t, err)
				break
			}
		}
	}
}

func TestMembers_OnlyAnOwnerSignedInGrantsOrRevokesOwner(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.ownerP(t)
	admin := e.principal(t, e.member(t, e.mail("admin"), auth.RoleAdmin))
	viewer := e.member(t, e.mail("viewer"), auth.RoleViewer)

	_, err := e.s.UpdateMember(ctx, admin, viewer.User.ID, "owner")
	testutil.RequireKind(t, err, apperr.Forbidden)
	_, err = e.s.UpdateMember(ctx, admin, owner.UserID, "viewer")
	testutil.RequireKind(t, err, apperr.Forbidden, "an admin cannot demote an owner")
	testutil.RequireKind(t, e.s.RemoveMember(ctx, admin, owner.UserID), apperr.Forbidden)
	_, _, err = e.s.AddMember(ctx, admin, e.mail("newowner"), "owner")
	testutil.RequireKind(t, err, apperr.Forbidden, "nor invite one")
	require.Equal(t, "owner", e.roleOf(t, owner.UserID))
	require.Equal(t, "viewer", e.roleOf(t, viewer.User.ID))
	require.Zero(t, e.count(t, `SELECT count(*) FROM invitations`))

	// Up to admin, an admin manages roles.
	m, err := e.s.UpdateMember(ctx, admin, viewer.User.ID, "admin")
	require.NoError(t, err)
	require.Equal(t, "admin", m.Role)

	// The owner's admin key acts as an admin.
	raw := createKey(t, e, owner, "admin")
	ownersKey, err := e.id.Authenticate(ctx, raw)
	require.NoError(t, err)
	_, err = e.s.UpdateMember(ctx, ownersKey, viewer.User.ID, "owner")
	ae := testutil.RequireKind(t, err, apperr.Forbidden)
	require.Contains(t, ae.Detail, "API key")

	m, err = e.s.UpdateMember(ctx, owner, viewer.User.ID, "owner")
	require.NoError(t, err)
	require.Equal(t, "owner", m.Role)
}

func createKey(t *testing.T, e *env, p auth.Principal, scopes ...string) string {
	t.Helper()
	_, raw, err := e.s.CreateAPIKey(context.Background(), p, CreateAPIKeyInput{Name: "key " + strings.Join(scopes, "+"), Scopes: scopes})
	require.NoError(t, err)
	return raw
}

func TestAddMember_AnExistingUserJoinsAtOnce(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.ownerP(t)
	other := e.signup(t, e.mail("other"))

	m, inv, err := e.s.AddMember(ctx, owner, " Other@"+strings.ToUpper(e.domain)+" ", "editor")
	require.NoError(t, err)
	require.Nil(t, inv, "no invitation for a known user")
	require.Equal(t, other.User.ID, m.UserID)
	require.Equal(t, "editor", m.Role)
	require.Equal(t, e.mail("other"), m.Email)
	in, err := e.id.SwitchOrg(ctx, e.principal(t, other), e.org.Org.ID)
	require.NoError(t, err)
	require.Equal(t, auth.RoleEditor, in.Role)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'member.add'`, e.org.Org.ID))

	_, _, err = e.s.AddMember(ctx, owner, e.mail("other"), "viewer")
	testutil.RequireKind(t, err, apperr.Conflict)
	require.Equal(t, "editor", e.roleOf(t, other.User.ID), "adding again changes nothing")
	_, _, err = e.s.AddMember(ctx, owner, e.mail("other"), "superuser")
	require.Equal(t, []string{"role"}, fieldsOf(t, err))
	_, _, err = e.s.AddMember(ctx, owner, "not an email", "viewer")
	require.Equal(t, []string{"email"}, fieldsOf(t, err))

	members, err := e.s.ListMembers(ctx, owner, 0, 10)
	require.NoError(t, err)
	require.Len(t, members, 2)
	require.Less(t, members[0].UserID, members[1].UserID)
	page, err := e.s.ListMembers(ctx, owner, members[0].UserID, 10)
	require.NoError(t, err)
	require.Len(t, page, 1)
	require.Equal(t, other.User.ID, page[0].UserID)
}

// tokenOf takes the invitation token out of an accept link.
func tokenOf(t *testing.T, inv *Invitation) string {
	t.Helper()
	require.NotNil(t, inv)
	u, err := url.Parse(inv.AcceptURL)
	require.NoError(t, err)
	require.Equal(t, "https://datanika.example.com/invite", u.Scheme+"://"+u.Host+u.Path)
	require.Equal(t, inv.Email, u.Query().Get("email"))
	return u.Query().Get("token")
}

func TestInvitations_AcceptExpireReplaceAndRevoke(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.ownerP(t)
	join := func(email, token string) (identity.Session, error) {
		return e.id.Signup(ctx, identity.SignupInput{Email: email, Password: testPassword, FullName: "Guest", InviteToken: token}, "192.0.2.1")
	}

	m, inv, err := e.s.AddMember(ctx, owner, e.mail("guest"), "viewer")
	require.NoError(t, err)
	require.Nil(t, m, "an unknown email is invited, not added")
	require.False(t, inv.Emailed, "no mailer: the link goes back to the admin")
	require.WithinDuration(t, time.Now().Add(InvitationTTL), inv.ExpiresAt.Time, time.Minute)
	first := tokenOf(t, inv)

	// A new invitation replaces the pending one: its link stops working.
	_, inv, err = e.s.AddMember(ctx, owner, e.mail("guest"), "editor")
	require.NoError(t, err)
	second := tokenOf(t, inv)
	pending, err := e.s.ListInvitations(ctx, owner, 0, 10)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.Equal(t, "editor", pending[0].Role)
	require.Empty(t, pending[0].AcceptURL, "a listed invitation does not show its token")

	_, err = join(e.mail("guest"), first)
	testutil.RequireKind(t, err, apperr.Invalid)
	_, err = join(e.mail("someone-else"), second)
	require.Equal(t, []string{"email"}, fieldsOf(t, err), "the invitation is for its address only")

	sess, err := join(e.mail("guest"), second)
	require.NoError(t, err)
	require.Equal(t, e.org.Org.ID, sess.Org.ID)
	require.Equal(t, auth.RoleEditor, sess.Role)
	pending, err = e.s.ListInvitations(ctx, owner, 0, 10)
	require.NoError(t, err)
	require.Empty(t, pending, "an accepted invitation is no longer pending")

	// An expired one cannot be accepted.
	_, inv, err = e.s.AddMember(ctx, owner, e.mail("late"), "viewer")
	require.NoError(t, err)
	_, err = e.owner.Exec(ctx, `UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, inv.ID)
	require.NoError(t, err)
	_, err = join(e.mail("late"), tokenOf(t, inv))
	testutil.RequireKind(t, err, apperr.Invalid)

	// A revoked one neither.
	_, inv, err = e.s.AddMember(ctx, owner, e.mail("revoked"), "viewer")
	require.NoError(t, err)
	require.NoError(t, e.s.RevokeInvitation(ctx, owner, inv.ID))
	_, err = join(e.mail("revoked"), tokenOf(t, inv))
	testutil.RequireKind(t, err, apperr.Invalid)
	testutil.RequireKind(t, e.s.RevokeInvitation(ctx, owner, inv.ID), apperr.NotFound)

	// Another org's invitation is not this org's to revoke.
	otherOrg := e.signup(t, e.mail("other-owner"))
	_, theirs, err := e.s.AddMember(ctx, e.principal(t, otherOrg), e.mail("theirs"), "viewer")
	require.NoError(t, err)
	testutil.RequireKind(t, e.s.RevokeInvitation(ctx, owner, theirs.ID), apperr.NotFound)
	_, err = join(e.mail("theirs"), tokenOf(t, theirs))
	require.NoError(t, err, "and it still works")
}

func TestRemoveMember_EndsTheirSessionsAndKeysInTheOrg(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.ownerP(t)
	admin := e.member(t, e.mail("admin"), auth.RoleAdmin)
	adminP := e.principal(t, admin)
	key := createKey(t, e, adminP, "admin")
	_, err := e.id.Authenticate(ctx, key)
	require.NoError(t, err)
	home, err := e.id.Login(ctx, e.mail("admin"), testPassword, "192.0.2.1")
	require.NoError(t, err)
	require.NotEqual(t, e.org.Org.ID, home.Org.ID, "signs in to their own org first")

	require.NoError(t, e.s.RemoveMember(ctx, owner, admin.User.ID))
	_, err = e.id.Authenticate(ctx, admin.AccessToken)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
	_, err = e.id.Refresh(ctx, admin.RefreshToken)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
	_, err = e.id.Authenticate(ctx, key)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
	_, err = e.id.Refresh(ctx, home.RefreshToken)
	require.NoError(t, err, "their session in their own org lives on")

	testutil.RequireKind(t, e.s.RemoveMember(ctx, owner, admin.User.ID), apperr.NotFound)
	_, err = e.s.UpdateMember(ctx, owner, admin.User.ID, "viewer")
	testutil.RequireKind(t, err, apperr.NotFound)
	// A user of another org is no member here.
	testutil.RequireKind(t, e.s.RemoveMember(ctx, owner, home.User.ID+1000), apperr.NotFound)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'member.remove'`, e.org.Org.ID))
}

func TestAPIKeys_CreateListRevoke(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.ownerP(t)
	past, future := time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
	cases := []struct {
		in     CreateAPIKeyInput
		fields []string
	}{
		{CreateAPIKeyInput{Name: " ", Scopes: []string{"read"}}, []string{"name"}},
		{CreateAPIKeyInput{Name: strings.Repeat("k", 101), Scopes: []string{"read"}}, []string{"name"}},
		{CreateAPIKeyInput{Name: "k"}, []string{"scopes"}},
		{CreateAPIKeyInput{Name: "k", Scopes: []string{"read", "owner"}}, []string{"scopes.1"}},
		{CreateAPIKeyInput{Name: "k", Scopes: []string{"read"}, ExpiresAt: &past}, []string{"expires_at"}},
		{CreateAPIKeyInput{Name: "", Scopes: []string{"root"}, ExpiresAt: &past}, []string{"name", "scopes.0", "expires_at"}},
	}
	for _, c := range cases {
		_, _, err := e.s.CreateAPIKey(ctx, owner, c.in)
		require.Equal(t, c.fields, fieldsOf(t, err), "%+v", c.in)
	}
	require.Zero(t, e.count(t, `SELECT count(*) FROM api_keys`))

	key, raw, err := e.s.CreateAPIKey(ctx, owner, CreateAPIKeyInput{Name: " deploy ", Scopes: []string{"write", "run", "write"}, ExpiresAt: &future})
	require.NoError(t, err)
	require.True(t, auth.IsAPIKey(raw))
	require.Equal(t, "deploy", key.Name)
	require.Equal(t, []string{"write", "run"}, key.Scopes, "scopes once each")
	require.Equal(t, auth.VisiblePrefix(raw), key.Prefix)
	require.Equal(t, e.mail("owner"), key.CreatorEmail)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM api_keys WHERE key_hash = $1 AND prefix <> $2`, auth.HashSecret(raw), raw), "only its hash is stored")

	p, err := e.id.Authenticate(ctx, raw)
	require.NoError(t, err)
	require.Equal(t, key.ID, p.APIKeyID)
	require.Equal(t, owner.UserID, p.UserID, "a key acts as its creator")
	require.Equal(t, auth.RoleEditor, p.ActingRole(), "within its scopes")
	require.False(t, auth.Admin.Allows(p.Role, true, p.Scopes))

	keys, err := e.s.ListAPIKeys(ctx, owner, 0, 10)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.Equal(t, key.ID, keys[0].ID)

	// Another org cannot revoke it; its owner can, once.
	other := e.principal(t, e.signup(t, e.mail("other")))
	testutil.RequireKind(t, e.s.RevokeAPIKey(ctx, other, key.ID), apperr.NotFound)
	_, err = e.id.Authenticate(ctx, raw)
	require.NoError(t, err)
	require.NoError(t, e.s.RevokeAPIKey(ctx, owner, key.ID))
	_, err = e.id.Authenticate(ctx, raw)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
	testutil.RequireKind(t, e.s.RevokeAPIKey(ctx, owner, key.ID), apperr.NotFound)
	keys, err = e.s.ListAPIKeys(ctx, owner, 0, 10)
	require.NoError(t, err)
	require.Empty(t, keys, "a revoked key is not listed")

	logs, err := e.s.ListAuditLogs(ctx, owner, AuditFilter{Action: ptr("api_key.create"), Limit: 10})
	require.NoError(t, err)
	require.Len(t, logs, 1)
	require.NotContains(t, string(logs[0].NewValues), raw)
}

func ptr[T any](v T) *T { return &v }

func TestDelete_EndsTheOrgAndRunsItsHookInTheTransaction(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.ownerP(t)
	editor := e.member(t, e.mail("editor"), auth.RoleEditor)
	key := createKey(t, e, owner, "admin")
	var hooked []int64
	fail := true
	e.s.OnOrgDeleted(func(ctx context.Context, tx pgx.Tx, orgID int64) error {
		hooked = append(hooked, orgID)
		if fail {
			return errors.New("the warehouse cannot be dropped")
		}
		return nil
	})

	require.ErrorContains(t, e.s.Delete(ctx, owner), "the warehouse cannot be dropped")
	require.Equal(t, []int64{e.org.Org.ID}, hooked)
	_, err := e.s.Get(ctx, owner)
	require.NoError(t, err, "a failing hook undoes the deletion")
	_, err = e.id.Authenticate(ctx, key)
	require.NoError(t, err, "and the keys' revocation")

	fail = false
	require.NoError(t, e.s.Delete(ctx, owner))
	require.Len(t, hooked, 2)
	_, err = e.s.Get(ctx, owner)
	require.Error(t, err)
	for _, bearer := range []string{e.org.AccessToken, editor.AccessToken, key} {
		_, err = e.id.Authenticate(ctx, bearer)
		testutil.RequireKind(t, err, apperr.Unauthenticated)
	}
	require.Zero(t, e.count(t, `SELECT count(*) FROM memberships WHERE org_id = $1 AND deleted_at IS NULL`, e.org.Org.ID))
	require.Zero(t, e.count(t, `SELECT count(*) FROM api_keys WHERE org_id = $1 AND revoked_at IS NULL`, e.org.Org.ID))
	_, err = e.id.Login(ctx, e.mail("owner"), testPassword, "192.0.2.1")
	testutil.RequireKind(t, err, apperr.Forbidden)
	// The slug is free again.
	_, err = e.id.Signup(ctx, identity.SignupInput{Email: e.mail("next"), Password: testPassword, FullName: "Next", OrgName: e.org.Org.Name}, "192.0.2.1")
	require.NoError(t, err)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM organizations WHERE slug = $1 AND deleted_at IS NULL`, e.org.Org.Slug))
}

func TestUpdate_ValidatesSettingsAndKeepsSlugsUnique(t *testing.T) {
	t.Parallel()
	e, ctx := newEnvDB(t), context.Background()
	owner := e.ownerP(t)
	other := e.signup(t, "other@example.com")

	_, err := e.s.Update(ctx, owner, UpdateInput{Name: ptr(""), Slug: ptr("Bad Slug"), DefaultSchema: ptr("1schema")})
	require.Equal(t, []string{"name", "slug", "default_schema"}, fieldsOf(t, err))
	for _, bad := range []string{"a", "-ab", "ab-", "AB", strings.Repeat("a", 64)} {
		_, err := e.s.Update(ctx, owner, UpdateInput{Slug: &bad})
		require.Equal(t, []string{"slug"}, fieldsOf(t, err), bad)
	}
	_, err = e.s.Update(ctx, owner, UpdateInput{Slug: &other.Org.Slug})
	require.Equal(t, []string{"slug"}, fieldsOf(t, err), "another org's slug is taken")

	org, err := e.s.Update(ctx, owner, UpdateInput{Name: ptr(" Renamed "), Slug: ptr("renamed"), DefaultSchema: ptr("marts")})
	require.NoError(t, err)
	require.Equal(t, "Renamed", org.Name)
	require.Equal(t, "renamed", org.Slug)
	require.Equal(t, "marts", org.DefaultSchema)
	org, err = e.s.Update(ctx, owner, UpdateInput{Slug: ptr("renamed")})
	require.NoError(t, err, "keeping one's own slug is no clash")
	require.Equal(t, "Renamed", org.Name, "nil fields stay")

	logs, err := e.s.ListAuditLogs(ctx, owner, AuditFilter{Action: ptr("org.update"), Limit: 10})
	require.NoError(t, err)
	require.Len(t, logs, 2)
	require.Greater(t, logs[0].ID, logs[1].ID, "newest first")
	require.JSONEq(t, `{"name": "Renamed", "slug": "renamed", "default_schema": "marts"}`, string(logs[1].NewValues))
	page, err := e.s.ListAuditLogs(ctx, owner, AuditFilter{Action: ptr("org.update"), BeforeID: &logs[0].ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, page, 1)
	require.Equal(t, logs[1].ID, page[0].ID)
}

// SPEC §4: a key "dies with the creator's membership". A removed member's keys must stay dead
// when the same user is made a member again, and must not be listed as live meanwhile.
func TestRemoveMember_TheirKeysStayDeadWhenTheyAreAddedAgain(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.ownerP(t)
	admin := e.member(t, e.mail("admin"), auth.RoleAdmin)
	key := createKey(t, e, e.principal(t, admin), "admin")

	require.NoError(t, e.s.RemoveMember(ctx, owner, admin.User.ID))
	_, err := e.id.Authenticate(ctx, key)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
	keys, err := e.s.ListAPIKeys(ctx, owner, 0, 10)
	require.NoError(t, err)
	require.Empty(t, keys, "a removed member's key is not listed as live")

	_, _, err = e.s.AddMember(ctx, owner, e.mail("admin"), "viewer")
	require.NoError(t, err)
	_, err = e.id.Authenticate(ctx, key)
	testutil.RequireKind(t, err, apperr.Unauthenticated, "a key that died with a membership does not come back with a new one")
}

// The same member added twice at once (a double click, a retried script): one add wins and the
// others are told the user is already a member; for an unknown email the last invitation
// replaces the earlier ones, as it does one after the other. Neither may surface as a raw
// unique violation (an Internal error, HTTP 500).
func TestAddMember_ConcurrentAddsOfOneEmailAreNoInternalError(t *testing.T) {
	t.Parallel()
	e, ctx := newEnvDB(t), context.Background()
	owner := e.ownerP(t)
	e.signup(t, "known@example.com")
	for _, email := range []string{"known@example.com", "unknown@example.com"} {
		const n = 4
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, _, errs[i] = e.s.AddMember(ctx, owner, email, "viewer")
			}()
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				testutil.RequireKind(t, err, apperr.Conflict, email)
			}
		}
	}
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM invitations WHERE email = 'unknown@example.com' AND revoked_at IS NULL`))
}

// A role change or removal made by this process reaches the member's next request at once,
// although authentication caches roles for a moment.
func TestMembers_ARoleChangeTakesEffectAtOnce(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.ownerP(t)
	member := e.member(t, e.mail("member"), auth.RoleViewer)
	require.Equal(t, auth.RoleViewer, e.principal(t, member).Role) // now cached

	_, err := e.s.UpdateMember(ctx, owner, member.User.ID, "admin")
	require.NoError(t, err)
	require.Equal(t, auth.RoleAdmin, e.principal(t, member).Role)
	_, err = e.s.UpdateMember(ctx, owner, member.User.ID, "editor")
	require.NoError(t, err)
	require.Equal(t, auth.RoleEditor, e.principal(t, member).Role)

	require.NoError(t, e.s.RemoveMember(ctx, owner, member.User.ID))
	_, err = e.id.Authenticate(ctx, member.AccessToken)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
}
