package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/testutil"
)

// env is an identity service, with a connection that sees past row-level security to look at
// and arrange rows: in a rolled-back transaction (newEnv, the fast tier) or on a database of
// its own (newEnvDB, for tests that assert fixed emails and slugs or race).
type env struct {
	s     *Service
	owner dbgen.DBTX
	// domain is the email domain of the env's users: unique per fast-tier test, since parallel
	// tests' uncommitted rows make a second insert of one email wait for the first test's end.
	domain string
}

var envSeq atomic.Int64

// mail is the address local@domain of the env.
func (e env) mail(local string) string { return local + "@" + e.domain }

const testPassword = "correct horse battery"

func newEnv(t *testing.T) env {
	t.Helper()
	tx := testutil.Tx(t)
	return env{
		s:      New(tx, auth.NewTokens("test-secret-key-with-at-least-32-characters", nil), testutil.Logger()),
		owner:  testutil.AsOwner(t, tx),
		domain: fmt.Sprintf("t%d.example.com", envSeq.Add(1)),
	}
}

func newEnvDB(t *testing.T) env {
	t.Helper()
	_, url := testutil.NewDatabase(t)
	app := testutil.AppPool(t, url)
	return env{
		s:      New(app, auth.NewTokens("test-secret-key-with-at-least-32-characters", nil), testutil.Logger()),
		owner:  testutil.OwnerPool(t, app),
		domain: "example.com",
	}
}

func (e env) signup(t *testing.T, email string) Session {
	t.Helper()
	sess, err := e.s.Signup(context.Background(), SignupInput{Email: email, Password: testPassword, FullName: "Test " + email}, "192.0.2.1")
	require.NoError(t, err)
	return sess
}

func (e env) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	_, err := e.owner.Exec(context.Background(), sql, args...)
	require.NoError(t, err)
}

func (e env) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.owner.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// principal authenticates a session's access token.
func (e env) principal(t *testing.T, sess Session) auth.Principal {
	t.Helper()
	p, err := e.s.Authenticate(context.Background(), sess.AccessToken)
	require.NoError(t, err)
	return p
}

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	ae := testutil.RequireKind(t, err, apperr.Invalid)
	var names []string
	for _, f := range ae.Fields {
		names = append(names, f.Field)
	}
	require.Contains(t, names, field)
}

func TestSignup_CreatesAnOrgOwnedByTheUser(t *testing.T) {
	t.Parallel()
	e, ctx := newEnvDB(t), context.Background()
	sess, err := e.s.Signup(ctx, SignupInput{Email: "  Ada@Example.COM ", Password: testPassword, FullName: " Ada Lovelace "}, "192.0.2.1")
	require.NoError(t, err)
	require.Equal(t, "ada@example.com", sess.User.Email, "emails are stored trimmed and lower-case")
	require.Equal(t, "Ada Lovelace", sess.User.FullName)
	require.Equal(t, auth.RoleOwner, sess.Role)
	require.Equal(t, "Ada Lovelace", sess.Org.Name, "the org is named after the user without an org name")
	require.Equal(t, "ada-lovelace", sess.Org.Slug)
	require.NotEmpty(t, sess.RefreshToken)
	require.Equal(t, int(auth.AccessTokenTTL.Seconds()), sess.ExpiresIn)

	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM memberships WHERE org_id = $1 AND user_id = $2 AND role = 'owner' AND deleted_at IS NULL`, sess.Org.ID, sess.User.ID))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2
		AND expires_at BETWEEN now() + interval '7 days' AND now() + interval '30 days'`, auth.HashSecret(sess.RefreshToken), sess.User.ID),
		"SPEC §4: the refresh token is stored hashed and lives 7 to 30 days")
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'org.create'`, sess.Org.ID))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'auth.signup' AND actor_id = $2`, sess.Org.ID, sess.User.ID))

	p := e.principal(t, sess)
	require.Equal(t, auth.Principal{UserID: sess.User.ID, OrgID: sess.Org.ID, Role: auth.RoleOwner, Name: "ada@example.com", SessionID: p.SessionID}, p)
}

func TestSignup_SlugsAreDerivedAndUnique(t *testing.T) {
	t.Parallel()
	e, ctx := newEnvDB(t), context.Background()
	slugs := map[string]string{}
	for i, c := range []struct{ email, org, slug string }{
		{"one@example.com", "  Acme,  Data! ", "acme-data"},
		{"two@example.com", "ACME data", "acme-data-2"},
		{"three@example.com", "acme--data", "acme-data-3"},
		{"four@example.com", "X", "org"},
		{"five@example.com", "!!", "org-2"},
		{"six@example.com", strings.Repeat("long name ", 10), strings.Trim(strings.Repeat("long-name-", 5), "-")},
	} {
		sess, err := e.s.Signup(ctx, SignupInput{Email: c.email, Password: testPassword, FullName: "Person", OrgName: c.org}, "192.0.2.1")
		require.NoError(t, err, "signup %d", i)
		require.Equal(t, c.slug, sess.Org.Slug, "org name %q", c.org)
		require.Equal(t, strings.TrimSpace(c.org), sess.Org.Name)
		slugs[sess.Org.Slug] = c.email
	}
	require.Len(t, slugs, 6)
}

func TestSignup_RefusesBadInputAndCreatesNothing(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	e.signup(t, e.mail("taken"))
	cases := []struct {
		name  string
		in    SignupInput
		field string // "" for a Conflict
	}{
		{"an invalid email", SignupInput{Email: "not-an-email", Password: testPassword, FullName: "X"}, "email"},
		{"an email without a dot in its domain", SignupInput{Email: "me@localhost", Password: testPassword, FullName: "X"}, "email"},
		{"an email with a display name", SignupInput{Email: "Me <me@example.com>", Password: testPassword, FullName: "X"}, "email"},
		{"an empty name", SignupInput{Email: e.mail("new"), Password: testPassword, FullName: "   "}, "full_name"},
		{"a name too long", SignupInput{Email: e.mail("new"), Password: testPassword, FullName: strings.Repeat("n", 201)}, "full_name"},
		{"a short password", SignupInput{Email: e.mail("new"), Password: "short", FullName: "X"}, "password"},
		{"a common password", SignupInput{Email: e.mail("new"), Password: "basketball", FullName: "X"}, "password"},
		{"a password holding the email's name", SignupInput{Email: e.mail("gandalf"), Password: "you shall not pass, gandalf", FullName: "X"}, "password"},
		{"an org name too long", SignupInput{Email: e.mail("new"), Password: testPassword, FullName: "X", OrgName: strings.Repeat("o", 101)}, "org_name"},
		{"an email already taken, in another case", SignupInput{Email: e.mail("TAKEN"), Password: testPassword, FullName: "X"}, ""},
	}
	for _, c := range cases {
		_, err := e.s.Signup(ctx, c.in, "192.0.2.1")
		if c.field == "" {
			testutil.RequireKind(t, err, apperr.Conflict)
		} else {
			requireField(t, err, c.field)
		}
	}
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM users`), "no refused sign-up left a user")
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM organizations`), "nor an org")
}

func TestSignup_TheOrgCreatedHookRunsInItsTransaction(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	var seen []int64
	fail := true
	e.s.OnOrgCreated(func(ctx context.Context, tx pgx.Tx, orgID int64) error {
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM organizations WHERE id = $1`, orgID).Scan(&name); err != nil {
			return err
		}
		seen = append(seen, orgID)
		if fail {
			return errors.New("the warehouse cannot be enqueued")
		}
		return nil
	})
	_, err := e.s.Signup(ctx, SignupInput{Email: e.mail("hook"), Password: testPassword, FullName: "Hook"}, "192.0.2.1")
	require.ErrorContains(t, err, "the warehouse cannot be enqueued")
	require.Len(t, seen, 1, "the hook saw the new org inside the transaction")
	require.Zero(t, e.count(t, `SELECT count(*) FROM users`), "a failing hook undoes the whole sign-up")
	require.Zero(t, e.count(t, `SELECT count(*) FROM organizations`))

	fail = false
	sess := e.signup(t, e.mail("hook"))
	require.Len(t, seen, 2)
	require.Equal(t, sess.Org.ID, seen[1])
}

// invite stores a pending invitation to orgID and returns its raw token.
func (e env) invite(t *testing.T, orgID, by int64, email, role string, expires time.Time) string {
	t.Helper()
	raw := auth.NewInvitationToken()
	e.exec(t, `INSERT INTO invitations (org_id, email, role, token_hash, invited_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		orgID, email, role, auth.HashSecret(raw), by, expires)
	return raw
}

func TestSignup_WithAnInvitationJoinsTheInvitingOrg(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	admin := e.signup(t, e.mail("admin"))
	week := time.Now().Add(7 * 24 * time.Hour)
	token := e.invite(t, admin.Org.ID, admin.User.ID, e.mail("guest"), "editor", week)
	join := func(email, token string) (Session, error) {
		return e.s.Signup(ctx, SignupInput{Email: email, Password: testPassword, FullName: "Guest", InviteToken: token}, "192.0.2.1")
	}

	_, err := join(e.mail("intruder"), token)
	requireField(t, err, "email")
	_, err = join(e.mail("guest"), auth.NewInvitationToken())
	requireField(t, err, "invite_token")

	sess, err := join(e.mail("GUEST"), token)
	require.NoError(t, err)
	require.Equal(t, admin.Org.ID, sess.Org.ID, "joins the inviting org")
	require.Equal(t, auth.RoleEditor, sess.Role, "with the invited role")
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM organizations`), "and creates no org of its own")
	require.Equal(t, auth.RoleEditor, e.principal(t, sess).Role)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM invitations WHERE accepted_at IS NOT NULL`))

	_, err = join(e.mail("guest2"), token)
	requireField(t, err, "invite_token")

	expired := e.invite(t, admin.Org.ID, admin.User.ID, e.mail("late"), "viewer", time.Now().Add(-time.Minute))
	_, err = join(e.mail("late"), expired)
	requireField(t, err, "invite_token")

	revoked := e.invite(t, admin.Org.ID, admin.User.ID, e.mail("revoked"), "viewer", week)
	e.exec(t, `UPDATE invitations SET revoked_at = now() WHERE email = $1`, e.mail("revoked"))
	_, err = join(e.mail("revoked"), revoked)
	requireField(t, err, "invite_token")
	require.Equal(t, 2, e.count(t, `SELECT count(*) FROM users`), "no refused invitation made a user")
}

func TestLogin_OneAnswerForEveryBadCredential(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	first := e.signup(t, e.mail("user"))
	inactive := e.signup(t, e.mail("inactive"))
	e.exec(t, `UPDATE users SET is_active = false WHERE id = $1`, inactive.User.ID)
	homeless := e.signup(t, e.mail("homeless"))
	e.exec(t, `UPDATE memberships SET deleted_at = now() WHERE user_id = $1`, homeless.User.ID)

	sess, err := e.s.Login(ctx, "  "+e.mail("USER")+" ", testPassword, "192.0.2.1")
	require.NoError(t, err)
	require.Equal(t, first.Org.ID, sess.Org.ID)
	require.Equal(t, auth.RoleOwner, sess.Role)
	require.NotEqual(t, first.RefreshToken, sess.RefreshToken)
	require.NotEqual(t, e.principal(t, first).SessionID, e.principal(t, sess).SessionID, "each sign-in is a session of its own")
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM audit_logs WHERE action = 'auth.login' AND actor_id = $1`, first.User.ID))

	var messages []string
	for _, c := range []struct{ email, password string }{
		{e.mail("user"), "a wrong passphrase"},
		{e.mail("nobody"), testPassword},
		{e.mail("inactive"), testPassword},
		{e.mail("user"), ""},
	} {
		_, err := e.s.Login(ctx, c.email, c.password, "192.0.2.1")
		ae := testutil.RequireKind(t, err, apperr.Unauthenticated)
		messages = append(messages, ae.Detail)
	}
	for _, m := range messages {
		require.Equal(t, messages[0], m, "unknown email, wrong password and inactive user look the same")
	}

	_, err = e.s.Login(ctx, e.mail("homeless"), testPassword, "192.0.2.1")
	testutil.RequireKind(t, err, apperr.Forbidden)
}

func TestLogin_AnEmailIsLockedAfterRepeatedFailures(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	e.signup(t, e.mail("target"))
	e.signup(t, e.mail("bystander"))

	// A success clears the count of failures.
	for range 4 {
		_, err := e.s.Login(ctx, e.mail("target"), "a wrong passphrase", "192.0.2.1")
		testutil.RequireKind(t, err, apperr.Unauthenticated)
	}
	_, err := e.s.Login(ctx, e.mail("target"), testPassword, "192.0.2.1")
	require.NoError(t, err)

	for range 5 {
		_, err := e.s.Login(ctx, e.mail("target"), "a wrong passphrase", "192.0.2.2")
		testutil.RequireKind(t, err, apperr.Unauthenticated)
	}
	_, err = e.s.Login(ctx, e.mail("target"), "a wrong passphrase", "192.0.2.3")
	testutil.RequireKind(t, err, apperr.RateLimited)
	_, err = e.s.Login(ctx, e.mail("TARGET"), testPassword, "192.0.2.4")
	testutil.RequireKind(t, err, apperr.RateLimited) // the right password too, from anywhere, while locked
	_, err = e.s.Login(ctx, e.mail("bystander"), testPassword, "192.0.2.3")
	require.NoError(t, err, "another email is not locked")
}

func TestRefresh_RotatesWithinTheSessionAndReuseEndsIt(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	one := e.signup(t, e.mail("user"))
	two, err := e.s.Login(ctx, e.mail("user"), testPassword, "192.0.2.1")
	require.NoError(t, err)
	sid := e.principal(t, one).SessionID

	next, err := e.s.Refresh(ctx, one.RefreshToken)
	require.NoError(t, err)
	require.NotEqual(t, one.RefreshToken, next.RefreshToken, "a new refresh token")
	require.NotEqual(t, one.AccessToken, next.AccessToken)
	require.Equal(t, sid, e.principal(t, next).SessionID, "in the same session")
	require.Equal(t, one.Org.ID, next.Org.ID)

	third, err := e.s.Refresh(ctx, next.RefreshToken)
	require.NoError(t, err)

	// The first token, long rotated, comes back: taken as stolen, the whole session ends.
	_, err = e.s.Refresh(ctx, one.RefreshToken)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
	_, err = e.s.Refresh(ctx, third.RefreshToken)
	testutil.RequireKind(t, err, apperr.Unauthenticated) // the newest token of the session is revoked too
	_, err = e.s.Authenticate(ctx, third.AccessToken)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
	require.Zero(t, e.count(t, `SELECT count(*) FROM refresh_tokens WHERE family = $1 AND revoked_at IS NULL`, sid))

	_, err = e.s.Refresh(ctx, two.RefreshToken)
	require.NoError(t, err, "the user's other session lives on")
}

func TestRefresh_TheNewTokenCarriesTheCurrentRole(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.signup(t, e.mail("owner"))
	member := e.signup(t, e.mail("member"))
	e.exec(t, `INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'editor')`, owner.Org.ID, member.User.ID)
	in, err := e.s.SwitchOrg(ctx, e.principal(t, member), owner.Org.ID)
	require.NoError(t, err)
	require.Equal(t, auth.RoleEditor, in.Role)

	e.exec(t, `UPDATE memberships SET role = 'viewer' WHERE org_id = $1 AND user_id = $2`, owner.Org.ID, member.User.ID)
	next, err := e.s.Refresh(ctx, in.RefreshToken)
	require.NoError(t, err)
	require.Equal(t, auth.RoleViewer, next.Role)
	_, claims, err := auth.NewTokens("test-secret-key-with-at-least-32-characters", nil).ParseAccess(next.AccessToken)
	require.NoError(t, err)
	require.Equal(t, auth.RoleViewer, claims.Role)

	// Removed from the org: the session there cannot be refreshed.
	e.exec(t, `UPDATE memberships SET deleted_at = now() WHERE org_id = $1 AND user_id = $2`, owner.Org.ID, member.User.ID)
	_, err = e.s.Refresh(ctx, next.RefreshToken)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
	_, err = e.s.Refresh(ctx, member.RefreshToken)
	require.NoError(t, err, "the member's session in their own org is untouched")
}

func TestRefresh_RefusesUnknownExpiredAndDeactivated(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	expired := e.signup(t, e.mail("expired"))
	e.exec(t, `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, expired.User.ID)
	inactive := e.signup(t, e.mail("inactive"))
	e.exec(t, `UPDATE users SET is_active = false WHERE id = $1`, inactive.User.ID)

	for name, raw := range map[string]string{
		"empty": "", "unknown": auth.NewRefreshToken(), "an access token": expired.AccessToken,
		"expired": expired.RefreshToken, "of an inactive user": inactive.RefreshToken,
	} {
		_, err := e.s.Refresh(ctx, raw)
		require.Error(t, err, name)
		testutil.RequireKind(t, err, apperr.Unauthenticated)
	}
}

func TestLogout_EndsTheSessionAndIsIdempotent(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	sess := e.signup(t, e.mail("user"))
	require.NoError(t, e.s.Logout(ctx, sess.RefreshToken, sess.AccessToken))
	_, err := e.s.Refresh(ctx, sess.RefreshToken)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
	_, err = e.s.Authenticate(ctx, sess.AccessToken)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM audit_logs WHERE action = 'auth.logout' AND actor_id = $1`, sess.User.ID),
		"one session ended, one audit entry, though named twice")

	require.NoError(t, e.s.Logout(ctx, sess.RefreshToken, sess.AccessToken), "signing out again is no error")
	for _, c := range [][2]string{{"", ""}, {auth.NewRefreshToken(), "garbage"}, {"", auth.NewAPIKey()}} {
		require.NoError(t, e.s.Logout(ctx, c[0], c[1]))
	}
}

func TestUpdateMe_APasswordChangeNeedsTheCurrentOneAndEndsOtherSessions(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	here := e.signup(t, e.mail("user"))
	elsewhere, err := e.s.Login(ctx, e.mail("user"), testPassword, "192.0.2.1")
	require.NoError(t, err)
	p := e.principal(t, here)
	ptr := func(s string) *string { return &s }

	_, err = e.s.UpdateMe(ctx, p, UpdateMeInput{Password: ptr("a brand new passphrase"), CurrentPassword: ptr("a wrong passphrase")})
	requireField(t, err, "current_password")
	_, err = e.s.UpdateMe(ctx, p, UpdateMeInput{Password: ptr("a brand new passphrase")})
	requireField(t, err, "current_password")
	_, err = e.s.UpdateMe(ctx, p, UpdateMeInput{Password: ptr("user user user 1"), CurrentPassword: ptr(testPassword)})
	requireField(t, err, "password")
	_, err = e.s.UpdateMe(ctx, p, UpdateMeInput{FullName: ptr(" "), Password: ptr("a brand new passphrase"), CurrentPassword: ptr(testPassword)})
	requireField(t, err, "full_name")
	_, err = e.s.Refresh(ctx, elsewhere.RefreshToken)
	require.NoError(t, err, "a refused change ends nothing")
	elsewhere, err = e.s.Login(ctx, e.mail("user"), testPassword, "192.0.2.1")
	require.NoError(t, err, "and keeps the old password")

	me, err := e.s.UpdateMe(ctx, p, UpdateMeInput{FullName: ptr(" New Name "), Password: ptr("a brand new passphrase"), CurrentPassword: ptr(testPassword)})
	require.NoError(t, err)
	require.Equal(t, "New Name", me.User.FullName)
	require.Equal(t, here.Org.ID, me.Org.ID)
	require.Len(t, me.Memberships, 1)

	_, err = e.s.Refresh(ctx, elsewhere.RefreshToken)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
	_, err = e.s.Refresh(ctx, here.RefreshToken)
	require.NoError(t, err, "the session that made the change stays signed in")
	_, err = e.s.Login(ctx, e.mail("user"), testPassword, "192.0.2.1")
	testutil.RequireKind(t, err, apperr.Unauthenticated)
	_, err = e.s.Login(ctx, e.mail("user"), "a brand new passphrase", "192.0.2.1")
	require.NoError(t, err)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM audit_logs WHERE action = 'user.update' AND new_values ? 'password'
		AND new_values->>'full_name' = 'New Name' AND position('brand new' IN new_values::text) = 0`), "audited, without the password")
}

func TestSwitchOrg_OnlyToAnOrgOfTheUser(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	a := e.signup(t, e.mail("a"))
	b := e.signup(t, e.mail("b"))
	e.exec(t, `INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'viewer')`, b.Org.ID, a.User.ID)
	p := e.principal(t, a)

	in, err := e.s.SwitchOrg(ctx, p, b.Org.ID)
	require.NoError(t, err)
	require.Equal(t, b.Org.ID, in.Org.ID)
	require.Equal(t, auth.RoleViewer, in.Role)
	pb := e.principal(t, in)
	require.Equal(t, b.Org.ID, pb.OrgID)
	require.Equal(t, auth.RoleViewer, pb.Role)
	require.NotEqual(t, p.SessionID, pb.SessionID, "a new session")

	me, err := e.s.GetMe(ctx, pb)
	require.NoError(t, err)
	require.Equal(t, b.Org.ID, me.Org.ID)
	require.Len(t, me.Memberships, 2)

	_, err = e.s.SwitchOrg(ctx, e.principal(t, b), a.Org.ID)
	testutil.RequireKind(t, err, apperr.NotFound)
	_, err = e.s.SwitchOrg(ctx, p, 999999)
	testutil.RequireKind(t, err, apperr.NotFound)
}

// apiKey stores a key of creator in orgID and returns it raw.
func (e env) apiKey(t *testing.T, orgID, creator int64, scopes []string, expires *time.Time) (string, int64) {
	t.Helper()
	raw := auth.NewAPIKey()
	var id int64
	require.NoError(t, e.owner.QueryRow(context.Background(), `INSERT INTO api_keys (org_id, created_by, name, prefix, key_hash, scopes, expires_at)
		VALUES ($1, $2, 'ci key', $3, $4, $5, $6) RETURNING id`, orgID, creator, auth.VisiblePrefix(raw), auth.HashSecret(raw), scopes, expires).Scan(&id))
	return raw, id
}

func TestAuthenticate_AnAPIKeyActsAsItsCreatorWithItsScopes(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.signup(t, e.mail("owner"))
	raw, id := e.apiKey(t, owner.Org.ID, owner.User.ID, []string{"read", "run"}, nil)

	p, err := e.s.Authenticate(ctx, raw)
	require.NoError(t, err)
	require.Equal(t, auth.Principal{UserID: owner.User.ID, OrgID: owner.Org.ID, Role: auth.RoleOwner, APIKeyID: id,
		Scopes: []auth.Scope{auth.ScopeRead, auth.ScopeRun}, Name: "ci key"}, p)
	require.Equal(t, auth.RoleEditor, p.ActingRole(), "a run key acts as editor")
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM api_keys WHERE id = $1 AND last_used_at > now() - interval '1 minute'`, id), "its use is recorded")

	// SPEC §4: last_used_at is written at most once a minute.
	lastUsed := func() time.Time {
		var at time.Time
		require.NoError(t, e.owner.QueryRow(ctx, `SELECT last_used_at FROM api_keys WHERE id = $1`, id).Scan(&at))
		return at
	}
	used := lastUsed()
	_, err = e.s.Authenticate(ctx, raw)
	require.NoError(t, err)
	require.True(t, used.Equal(lastUsed()), "a use within the minute writes nothing")
	e.exec(t, `UPDATE api_keys SET last_used_at = now() - interval '61 seconds' WHERE id = $1`, id)
	_, err = e.s.Authenticate(ctx, raw)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), lastUsed(), 30*time.Second, "a use after the minute is recorded")

	// It dies with its creator's membership; a demotion narrows it.
	e.exec(t, `UPDATE memberships SET role = 'viewer' WHERE user_id = $1`, owner.User.ID)
	e.s.Forget(owner.User.ID, owner.Org.ID)
	p, err = e.s.Authenticate(ctx, raw)
	require.NoError(t, err)
	require.Equal(t, auth.RoleViewer, p.Role)
	require.Equal(t, auth.RoleViewer, p.ActingRole())
	e.exec(t, `UPDATE memberships SET deleted_at = now() WHERE user_id = $1`, owner.User.ID)
	e.s.Forget(owner.User.ID, owner.Org.ID)
	_, err = e.s.Authenticate(ctx, raw)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
}

func TestAuthenticate_RefusesRevokedExpiredAndUnknownKeys(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.signup(t, e.mail("owner"))
	past, future := time.Now().Add(-time.Second), time.Now().Add(time.Hour)
	live, _ := e.apiKey(t, owner.Org.ID, owner.User.ID, []string{"read"}, &future)
	expired, _ := e.apiKey(t, owner.Org.ID, owner.User.ID, []string{"read"}, &past)
	revoked, revokedID := e.apiKey(t, owner.Org.ID, owner.User.ID, []string{"admin"}, nil)
	e.exec(t, `UPDATE api_keys SET revoked_at = now() WHERE id = $1`, revokedID)

	_, err := e.s.Authenticate(ctx, live)
	require.NoError(t, err, "a key before its expiry")
	for name, bearer := range map[string]string{
		"expired": expired, "revoked": revoked, "unknown": auth.NewAPIKey(), "empty": "",
		"garbage": "not-a-token", "a refresh token": owner.RefreshToken,
		"signed by another key": func() string {
			raw, err := auth.NewTokens("another-secret-key-with-at-least-32-chars", nil).IssueAccess(owner.User.ID, owner.Org.ID, auth.RoleOwner, e.principal(t, owner).SessionID)
			require.NoError(t, err)
			return raw
		}(),
	} {
		_, err := e.s.Authenticate(ctx, bearer)
		require.Error(t, err, name)
		testutil.RequireKind(t, err, apperr.Unauthenticated)
	}
}

// A process trusts what it read of a role for a moment (authCacheTTL), and forgets it at once
// when it made the change itself (Forget, ForgetOrg).
func TestAuthenticate_TheRoleCacheIsForgottenOnChange(t *testing.T) {
	t.Parallel()
	e, ctx := newEnv(t), context.Background()
	owner := e.signup(t, e.mail("owner"))
	read := time.Now()
	require.Equal(t, auth.RoleOwner, e.principal(t, owner).Role)

	e.exec(t, `UPDATE memberships SET role = 'editor' WHERE user_id = $1`, owner.User.ID)
	if p := e.principal(t, owner); time.Since(read) < authCacheTTL {
		require.Equal(t, auth.RoleOwner, p.Role, "within the TTL, another process's change is not yet seen")
	}
	e.s.Forget(owner.User.ID, owner.Org.ID)
	require.Equal(t, auth.RoleEditor, e.principal(t, owner).Role, "forgotten: the current role at once")

	e.exec(t, `UPDATE memberships SET role = 'admin' WHERE user_id = $1`, owner.User.ID)
	require.Eventually(t, func() bool {
		p, err := e.s.Authenticate(ctx, owner.AccessToken)
		return err == nil && p.Role == auth.RoleAdmin
	}, 3*authCacheTTL, 100*time.Millisecond, "without Forget the change arrives within the TTL")

	e.exec(t, `UPDATE organizations SET deleted_at = now() WHERE id = $1`, owner.Org.ID)
	e.s.ForgetOrg(owner.Org.ID)
	_, err := e.s.Authenticate(ctx, owner.AccessToken)
	testutil.RequireKind(t, err, apperr.Unauthenticated)
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"a@example.com": "a@example.com", "  Jane.Doe@Example.ORG\t": "jane.doe@example.org", "x+tag@sub.example.co.uk": "x+tag@sub.example.co.uk",
	} {
		got, err := NormalizeEmail(raw, "email")
		require.NoError(t, err, raw)
		require.Equal(t, want, got)
	}
	for _, raw := range []string{"", "plain", "@example.com", "a@", "a@localhost", "A <a@example.com>", "a@b@example.com", "a b@example.com",
		strings.Repeat("a", 250) + "@example.com"} {
		_, err := NormalizeEmail(raw, "invitee")
		ae := testutil.RequireKind(t, err, apperr.Invalid)
		require.Equal(t, "invitee", ae.Fields[0].Field, raw)
	}
}

// Sign-ups racing for one slug all succeed, each org with a slug of its own (the loser of a race
// for a slug tries again); racing for one email, one wins and the others are told it is taken.
func TestSignup_ConcurrentSignupsGetDistinctSlugsAndOneAccountPerEmail(t *testing.T) {
	t.Parallel()
	e, ctx := newEnvDB(t), context.Background()
	const n = 6
	slugs := make([]string, n)
	errs := make([]error, n)
	race := func(in func(i int) SignupInput) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var sess Session
				sess, errs[i] = e.s.Signup(ctx, in(i), "192.0.2.1")
				slugs[i] = sess.Org.Slug
			}()
		}
		close(start)
		wg.Wait()
	}

	race(func(i int) SignupInput {
		return SignupInput{Email: fmt.Sprintf("user%d@example.com", i), Password: testPassword, FullName: "Same Name"}
	})
	seen := map[string]bool{}
	for i, err := range errs {
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(slugs[i], "same-name"), slugs[i])
		require.False(t, seen[slugs[i]], "slug %s given twice", slugs[i])
		seen[slugs[i]] = true
	}

	race(func(int) SignupInput {
		return SignupInput{Email: "twin@example.com", Password: testPassword, FullName: "Twin"}
	})
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			testutil.RequireKind(t, err, apperr.Conflict)
		}
	}
	require.Equal(t, 1, ok)
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM users WHERE email = 'twin@example.com'`))
	require.Equal(t, n+1, e.count(t, `SELECT count(*) FROM organizations`), "the losers left no org behind")
}
