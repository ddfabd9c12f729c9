package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/ratelimit"
	"github.com/datanika/datanika/internal/testutil"
)

func countRows(t *testing.T, s *testServer, table string) int {
	t.Helper()
	var n int
	// The app role sees nothing without a tenant scope on RLS tables; users and organizations
	// have none, which is what these counts look at.
	require.NoError(t, s.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

func TestSignup_CreatesUserOrgAndOwnerMembershipWithCookie(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rec := s.call(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{
		"email": "  Ada@Example.COM ", "password": testPassword, "full_name": "Ada Lovelace",
	})
	tok := decode[api.TokenResponse](t, rec, http.StatusCreated)
	require.Equal(t, "ada@example.com", tok.User.Email)
	require.Equal(t, "Ada Lovelace", tok.Org.Name)
	require.Equal(t, "ada-lovelace", tok.Org.Slug)
	require.Equal(t, api.Role("owner"), tok.Role)
	require.Equal(t, int32(900), tok.ExpiresIn)
	require.NotEmpty(t, tok.AccessToken)
	require.NotEmpty(t, tok.RefreshToken)

	cookie := rec.Header().Get("Set-Cookie")
	require.Contains(t, cookie, "datanika_refresh="+tok.RefreshToken)
	require.Contains(t, cookie, "HttpOnly")
	require.Contains(t, cookie, "SameSite=Strict")
	require.Contains(t, cookie, "Path=/api/v1/auth")

	me := decode[api.Me](t, s.call(t, http.MethodGet, "/api/v1/me", tok.AccessToken, nil), http.StatusOK)
	require.Equal(t, tok.User.Id, me.User.Id)
	require.Len(t, me.Memberships, 1)
	require.Equal(t, api.Role("owner"), me.Memberships[0].Role)
}

func TestSignup_TwoPeopleWithTheSameNameGetUniqueSlugs(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	a := s.signup(t, uniqueEmail("same"), "Grace Hopper")
	b := s.signup(t, uniqueEmail("same"), "Grace Hopper")
	require.Equal(t, "grace-hopper", a.Org.Slug)
	require.Equal(t, "grace-hopper-2", b.Org.Slug)
	require.NotEqual(t, a.Org.Id, b.Org.Id)
}

func TestSignup_BadInputAnswers4xxNamingTheFieldAndCreatesNothing(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	long := strings.Repeat("é", 40) // 40 characters, 80 bytes: over bcrypt's 72
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"short password", map[string]any{"email": "a@example.com", "password": "short", "full_name": "A"}, 422, "password"},
		{"password over 72 bytes", map[string]any{"email": "a@example.com", "password": long, "full_name": "A"}, 422, "password"},
		{"password equal to email", map[string]any{"email": "longaddress@example.com", "password": "longaddress@example.com", "full_name": "A"}, 422, "password"},
		{"bad email", map[string]any{"email": "not-an-email", "password": testPassword, "full_name": "A"}, 422, "email"},
		{"missing name", map[string]any{"email": "a@example.com", "password": testPassword}, 422, "full_name"},
		{"blank name", map[string]any{"email": "a@example.com", "password": testPassword, "full_name": "   "}, 422, "full_name"},
		{"unknown field", map[string]any{"email": "a@example.com", "password": testPassword, "full_name": "A", "role": "owner"}, 422, "role"},
		{"wrong type", map[string]any{"email": 42, "password": testPassword, "full_name": "A"}, 422, "email"},
		{"bad invite token", map[string]any{"email": "a@example.com", "password": testPassword, "full_name": "A", "invite_token": "dnki_nope"}, 422, "invite_token"},
		{"malformed JSON", `{"email":`, 400, ""},
	}
	for _, tc := range cases {
		rec := s.call(t, http.MethodPost, "/api/v1/auth/signup", "", tc.body)
		p := decodeProblem(t, rec, tc.status)
		if tc.field != "" {
			require.NotNil(t, p.Errors, tc.name)
			fields := fieldsOf(p)
			require.Contains(t, fields, tc.field, "%s: %s", tc.name, rec.Body.String())
		}
		require.NotContains(t, rec.Body.String(), testPassword, tc.name)
	}
	require.Zero(t, countRows(t, s, "users"))
	require.Zero(t, countRows(t, s, "organizations"))
}

func TestSignup_DuplicateEmailConflicts(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	email := uniqueEmail("dup")
	s.signup(t, email, "First")
	rec := s.call(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": strings.ToUpper(email), "password": testPassword, "full_name": "Second"})
	decodeProblem(t, rec, http.StatusConflict)
	require.Equal(t, 1, countRows(t, s, "organizations"))
}

func TestLogin_OneGenericErrorForEveryFailure(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	email := uniqueEmail("login")
	s.signup(t, email, "Login User")

	ok := decode[api.TokenResponse](t, s.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": strings.ToUpper(email), "password": testPassword}), http.StatusOK)
	require.Equal(t, email, ok.User.Email)

	_, err := s.pool.Exec(context.Background(), "UPDATE users SET is_active = false WHERE email = 'inactive@example.com'")
	require.NoError(t, err)
	var details []string
	for _, body := range []map[string]any{
		{"email": "nobody@example.com", "password": testPassword},
		{"email": email, "password": "wrong password!"},
	} {
		p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/login", "", body), http.StatusUnauthorized)
		details = append(details, *p.Detail)
	}
	require.Equal(t, details[0], details[1], "unknown email and wrong password must look the same")
}

func TestLogin_InactiveUserGetsTheGenericError(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	email := uniqueEmail("inactive")
	s.signup(t, email, "Inactive")
	_, err := s.pool.Exec(context.Background(), "UPDATE users SET is_active = false WHERE email = $1", email)
	require.NoError(t, err)
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": testPassword}), http.StatusUnauthorized)
	require.Equal(t, "The email or password is wrong.", *p.Detail)
}

func TestLogin_LocksOutAnEmailAfterRepeatedFailures(t *testing.T) {
	t.Parallel()
	s := setup(t)
	email := uniqueEmail("locked")
	s.signup(t, email, "Locked")
	for range 5 {
		decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": "wrong password!"}), http.StatusUnauthorized)
	}
	rec := s.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": "wrong password!"})
	p := decodeProblem(t, rec, http.StatusTooManyRequests)
	require.Equal(t, api.ErrorCodeRateLimited, *p.Code)
	require.NotEmpty(t, rec.Header().Get("Retry-After"))
	// Locked even with the right password, until the window passes.
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": testPassword}), http.StatusTooManyRequests)
}

func TestRefresh_RotatesAndReuseRevokesTheFamily(t *testing.T) {
	t.Parallel()
	s := setup(t)
	first := s.signup(t, uniqueEmail("refresh"), "Refresher")

	second := decode[api.TokenResponse](t, s.call(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": first.RefreshToken}), http.StatusOK)
	require.NotEqual(t, first.RefreshToken, second.RefreshToken)
	require.Equal(t, first.User.Id, second.User.Id)

	// The old token again: theft is assumed, and the whole family dies.
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": first.RefreshToken}), http.StatusUnauthorized)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": second.RefreshToken}), http.StatusUnauthorized)
}

func TestRefresh_ReadsTheCookie(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tok := s.signup(t, uniqueEmail("cookie"), "Cookie")
	// Without the CSRF header, the cookie alone is refused (and not spent).
	req := httptestRequest(http.MethodPost, "/api/v1/auth/refresh", "")
	req.Header.Set("Cookie", "datanika_refresh="+tok.RefreshToken)
	decodeProblem(t, serve(s, req), http.StatusForbidden)

	req = httptestRequest(http.MethodPost, "/api/v1/auth/refresh", "")
	req.Header.Set("Cookie", "datanika_refresh="+tok.RefreshToken)
	req.Header.Set("X-Requested-With", "datanika")
	rec := serve(s, req)
	next := decode[api.TokenResponse](t, rec, http.StatusOK)
	require.Contains(t, rec.Header().Get("Set-Cookie"), "datanika_refresh="+next.RefreshToken)
}

func TestLogout_RevokesTheRefreshTokenAndClearsTheCookie(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tok := s.signup(t, uniqueEmail("logout"), "Logout")
	rec := s.call(t, http.MethodPost, "/api/v1/auth/logout", "", map[string]any{"refresh_token": tok.RefreshToken})
	require.Equal(t, http.StatusNoContent, rec.Code)
	require.Contains(t, rec.Header().Get("Set-Cookie"), "Max-Age=0")
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": tok.RefreshToken}), http.StatusUnauthorized)
}

func TestMe_PasswordChangeNeedsCurrentPasswordAndEndsOtherSessions(t *testing.T) {
	t.Parallel()
	s := setup(t)
	email := uniqueEmail("me")
	tok := s.signup(t, email, "Me")
	other := decode[api.TokenResponse](t, s.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": testPassword}), http.StatusOK)

	p := decodeProblem(t, s.call(t, http.MethodPatch, "/api/v1/me", tok.AccessToken, map[string]any{"password": "a brand new password", "current_password": "wrong"}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "current_password")

	me := decode[api.Me](t, s.call(t, http.MethodPatch, "/api/v1/me", tok.AccessToken, map[string]any{
		"full_name": "Renamed", "password": "a brand new password", "current_password": testPassword,
	}), http.StatusOK)
	require.Equal(t, "Renamed", me.User.FullName)

	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": other.RefreshToken}), http.StatusUnauthorized)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": testPassword}), http.StatusUnauthorized)
	decode[api.TokenResponse](t, s.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": "a brand new password"}), http.StatusOK)
}

func TestSwitchOrg_OnlyToOrgsTheUserBelongsTo(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	stranger := s.signup(t, uniqueEmail("stranger"), "Stranger")

	switched := decode[api.TokenResponse](t, s.call(t, http.MethodPost, "/api/v1/auth/switch-org", f.viewer.AccessToken, map[string]any{"org_id": f.viewer.Org.Id}), http.StatusOK)
	require.Equal(t, api.Role("viewer"), switched.Role)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/switch-org", f.viewer.AccessToken, map[string]any{"org_id": stranger.Org.Id}), http.StatusNotFound)
}

func TestAuth_MissingOrBadCredentialAnswers401(t *testing.T) {
	t.Parallel()
	s := setup(t)
	for _, bearer := range []string{"", "not-a-jwt", "dnk_not-a-key", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."} {
		p := decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/org", bearer, nil), http.StatusUnauthorized)
		require.Equal(t, api.ErrorCodeUnauthenticated, *p.Code)
	}
}

func TestSignup_IsRateLimitedPerClientIP(t *testing.T) {
	t.Parallel()
	limits := ratelimit.NewRules(60, 10)
	s := setupDB(t, func(d *Deps) { d.RateLimits = &limits })
	var last *http.Response
	for i := range 11 {
		req := httptestRequest(http.MethodPost, "/api/v1/auth/signup",
			fmt.Sprintf(`{"email":%q,"password":%q,"full_name":"Burst %d"}`, uniqueEmail("burst"), testPassword, i))
		req.RemoteAddr = "203.0.113.7:5555"
		// X-Forwarded-For is not trusted: rotating it must not escape the limit.
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.0.0.%d", i))
		last = serve(s, req).Result()
	}
	require.Equal(t, http.StatusTooManyRequests, last.StatusCode)
	require.NotEmpty(t, last.Header.Get("Retry-After"))
	require.Equal(t, 10, countRows(t, s, "users"))
}

func TestLogs_NeverContainTheRejectedPassword(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	s := setup(t, func(d *Deps) {
		d.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": "a@example.com", "password": "tiny-pw", "full_name": "A"}), http.StatusUnprocessableEntity)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": "a@example.com", "password": "wrong-password-value"}), http.StatusUnauthorized)
	require.NotEmpty(t, buf.String())
	require.NotContains(t, buf.String(), "tiny-pw")
	require.NotContains(t, buf.String(), "wrong-password-value")
}

// syncBuffer is a bytes.Buffer safe for a logger written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sessionPair is one person signed in twice: two sessions (refresh families) of one user.
type sessionPair struct {
	email    string
	one, two api.TokenResponse
}

func (s *testServer) twoSessions(t *testing.T) sessionPair {
	t.Helper()
	email := uniqueEmail("sessions")
	one := s.signup(t, email, "Two Sessions")
	two := decode[api.TokenResponse](t, s.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": testPassword}), http.StatusOK)
	return sessionPair{email: email, one: one, two: two}
}

func TestSessions_EndingASessionEndsItsAccessTokensAtOnce(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	cases := []struct {
		name string
		// end ends session one (or, for a password change, every session but one) and returns
		// the access tokens that must now be refused and those that must still work.
		end func(t *testing.T, p sessionPair) (refused, working []string)
		// refreshRefused are the refresh tokens that must no longer work afterwards.
		refreshRefused func(p sessionPair) []string
	}{
		{"sign-out with the refresh token", func(t *testing.T, p sessionPair) ([]string, []string) {
			require.Equal(t, http.StatusNoContent, s.call(t, http.MethodPost, "/api/v1/auth/logout", "", map[string]any{"refresh_token": p.one.RefreshToken}).Code)
			return []string{p.one.AccessToken}, []string{p.two.AccessToken}
		}, func(p sessionPair) []string { return []string{p.one.RefreshToken} }},
		{"sign-out with only the access token", func(t *testing.T, p sessionPair) ([]string, []string) {
			require.Equal(t, http.StatusNoContent, s.call(t, http.MethodPost, "/api/v1/auth/logout", p.one.AccessToken, nil).Code)
			return []string{p.one.AccessToken}, []string{p.two.AccessToken}
		}, func(p sessionPair) []string { return []string{p.one.RefreshToken} }},
		{"reuse of a rotated refresh token", func(t *testing.T, p sessionPair) ([]string, []string) {
			next := decode[api.TokenResponse](t, s.call(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": p.one.RefreshToken}), http.StatusOK)
			decode[api.Me](t, s.call(t, http.MethodGet, "/api/v1/me", next.AccessToken, nil), http.StatusOK)
			// The old refresh token again: the family is revoked, with every access token of it.
			decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": p.one.RefreshToken}), http.StatusUnauthorized)
			return []string{p.one.AccessToken, next.AccessToken}, []string{p.two.AccessToken}
		}, func(p sessionPair) []string { return []string{p.one.RefreshToken} }},
		{"password change ends the other sessions, not the one that made it", func(t *testing.T, p sessionPair) ([]string, []string) {
			decode[api.Me](t, s.call(t, http.MethodPatch, "/api/v1/me", p.one.AccessToken, map[string]any{
				"password": "a brand new passphrase", "current_password": testPassword}), http.StatusOK)
			return []string{p.two.AccessToken}, []string{p.one.AccessToken}
		}, func(p sessionPair) []string { return []string{p.two.RefreshToken} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := s.twoSessions(t)
			// Both sessions are in use (so any cache holds them as live).
			decode[api.Me](t, s.call(t, http.MethodGet, "/api/v1/me", p.one.AccessToken, nil), http.StatusOK)
			decode[api.Me](t, s.call(t, http.MethodGet, "/api/v1/me", p.two.AccessToken, nil), http.StatusOK)
			refused, working := c.end(t, p)
			for _, tok := range refused {
				pr := decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/me", tok, nil), http.StatusUnauthorized)
				require.Equal(t, api.ErrorCodeUnauthenticated, *pr.Code)
				decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/org", tok, nil), http.StatusUnauthorized)
			}
			for _, tok := range working {
				decode[api.Me](t, s.call(t, http.MethodGet, "/api/v1/me", tok, nil), http.StatusOK)
			}
			for _, raw := range c.refreshRefused(p) {
				decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": raw}), http.StatusUnauthorized)
			}
		})
	}
}

// Another process (a second server on the same database) learns of a sign-out within the
// role cache's 2 s: it may accept the ended session's token until its cached check expires.
func TestSessions_SignOutReachesOtherProcessesWithinTwoSeconds(t *testing.T) {
	t.Parallel()
	_, url := testutil.NewDatabase(t)
	pool := testutil.AppPool(t, url)
	a, b := setupWithPool(t, pool), setupWithPool(t, pool)
	tok := a.signup(t, uniqueEmail("elsewhere"), "Elsewhere")
	decode[api.Me](t, b.call(t, http.MethodGet, "/api/v1/me", tok.AccessToken, nil), http.StatusOK)

	require.Equal(t, http.StatusNoContent, a.call(t, http.MethodPost, "/api/v1/auth/logout", "", map[string]any{"refresh_token": tok.RefreshToken}).Code)
	decodeProblem(t, a.call(t, http.MethodGet, "/api/v1/me", tok.AccessToken, nil), http.StatusUnauthorized)
	require.Eventually(t, func() bool {
		return b.call(t, http.MethodGet, "/api/v1/me", tok.AccessToken, nil).Code == http.StatusUnauthorized
	}, 2500*time.Millisecond, 50*time.Millisecond, "the other process must refuse the token within 2 s")
}

// Every way to set a password (sign-up, accepting an invitation, changing it) refuses one of
// the 10,000 most common passwords and one containing the email's name, naming the field, and
// changes nothing.
func TestPasswords_CommonOrContainingTheEmailNameAreRefusedEverywhere(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	refused := []struct {
		name, localPart, password, message string
	}{
		{"a common password", "alice", "1234567890", "common"},
		{"a common password in other case", "alice", "BasketBall", "common"},
		{"another common password", "alice", "qwertyuiop", "common"},
		{"the email's name inside", "marguerite", "i am marguerite!", "email"},
		{"the email's name in other case", "marguerite", "MARGUERITE-2024", "email"},
		{"the email itself", "marguerite", "marguerite@example.com", "email"},
	}
	type setter func(t *testing.T, email, password string) (*httptest.ResponseRecorder, func(t *testing.T))
	setters := map[string]setter{
		"sign-up": func(t *testing.T, email, password string) (*httptest.ResponseRecorder, func(t *testing.T)) {
			rec := s.call(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": email, "password": password, "full_name": "Someone"})
			return rec, func(t *testing.T) {
				decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": password}), http.StatusUnauthorized)
			}
		},
		"invitation": func(t *testing.T, email, password string) (*httptest.ResponseRecorder, func(t *testing.T)) {
			inv := decode[api.Invitation](t, s.call(t, http.MethodPost, "/api/v1/members", f.owner.AccessToken, map[string]any{"email": email, "role": "editor"}), http.StatusAccepted)
			u, err := neturl.Parse(*inv.AcceptUrl)
			require.NoError(t, err)
			token := u.Query().Get("token")
			rec := s.call(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": email, "password": password, "full_name": "Invitee", "invite_token": token})
			return rec, func(t *testing.T) {
				// The invitation is still pending: a good password accepts it.
				joined := decode[api.TokenResponse](t, s.call(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{"email": email, "password": testPassword, "full_name": "Invitee", "invite_token": token}), http.StatusCreated)
				require.Equal(t, f.orgID, joined.Org.Id)
			}
		},
		"password change": func(t *testing.T, email, password string) (*httptest.ResponseRecorder, func(t *testing.T)) {
			tok := s.signup(t, email, "Changer")
			rec := s.call(t, http.MethodPatch, "/api/v1/me", tok.AccessToken, map[string]any{"password": password, "current_password": testPassword})
			return rec, func(t *testing.T) {
				decode[api.Me](t, s.call(t, http.MethodGet, "/api/v1/me", tok.AccessToken, nil), http.StatusOK)
				decode[api.TokenResponse](t, s.call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": testPassword}), http.StatusOK)
			}
		},
	}
	for how, set := range setters {
		for _, c := range refused {
			t.Run(how+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				email := fmt.Sprintf("%s.%d@example.com", c.localPart, emailSeq.Add(1))
				password := c.password
				if c.message == "email" {
					// The email's name is the whole local part, numbered to be unique.
					local, _, _ := strings.Cut(email, "@")
					password = strings.NewReplacer("marguerite@example.com", email, "marguerite", local, "MARGUERITE", strings.ToUpper(local)).Replace(password)
				}
				rec, unchanged := set(t, email, password)
				p := decodeProblem(t, rec, http.StatusUnprocessableEntity)
				fields := fieldsOf(p)
				require.Contains(t, fields, "password", rec.Body.String())
				require.Contains(t, fields["password"], c.message, rec.Body.String())
				require.NotContains(t, rec.Body.String(), password)
				unchanged(t)
			})
		}
	}

	// A local part shorter than 3 characters forbids nothing: "ab@…" may use a password with "ab".
	decode[api.TokenResponse](t, s.call(t, http.MethodPost, "/api/v1/auth/signup", "", map[string]any{
		"email": "ab@example.com", "password": "a cab absconds", "full_name": "Ab"}), http.StatusCreated)
}
