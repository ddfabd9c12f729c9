package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// clock is a settable time source for Tokens.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func TestTokens_AccessTokenLivesFifteenMinutes(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := &clock{t: start}
	tokens := NewTokens(testKey, c.now)
	raw, err := tokens.IssueAccess(7, 3, RoleAdmin, uuid.New())
	require.NoError(t, err)

	_, claims, err := tokens.ParseAccess(raw)
	require.NoError(t, err)
	require.True(t, start.Add(AccessTokenTTL).Equal(claims.ExpiresAt.Time), "expires %s", claims.ExpiresAt.Time)
	require.Equal(t, RoleAdmin, claims.Role)
	require.Equal(t, "access", claims.Type)

	c.set(start.Add(AccessTokenTTL - time.Second))
	_, _, err = tokens.ParseAccess(raw)
	require.NoError(t, err, "still valid just before it expires")

	c.set(start.Add(AccessTokenTTL + time.Second))
	_, _, err = tokens.ParseAccess(raw)
	require.ErrorIs(t, err, ErrInvalidToken, "refused once expired")

	c.set(start.Add(-3 * time.Second))
	_, _, err = tokens.ParseAccess(raw)
	require.NoError(t, err, "a few seconds of clock skew are tolerated")
	c.set(start.Add(-time.Minute))
	_, _, err = tokens.ParseAccess(raw)
	require.ErrorIs(t, err, ErrInvalidToken, "a token from the future is refused")
}

func TestTokens_EachTokenIsDistinct(t *testing.T) {
	t.Parallel()
	tokens := NewTokens(testKey, nil)
	sid := uuid.New()
	a, err := tokens.IssueAccess(7, 3, RoleEditor, sid)
	require.NoError(t, err)
	b, err := tokens.IssueAccess(7, 3, RoleEditor, sid)
	require.NoError(t, err)
	require.NotEqual(t, a, b, "two tokens of one session differ (their jti)")
	_, ca, err := tokens.ParseAccess(a)
	require.NoError(t, err)
	_, cb, err := tokens.ParseAccess(b)
	require.NoError(t, err)
	require.NotEqual(t, ca.ID, cb.ID)
	require.Len(t, ca.ID, 32)
}

func TestTokens_ParseAccessRefusesForgedAndMalformedTokens(t *testing.T) {
	t.Parallel()
	tokens := NewTokens(testKey, nil)
	now := time.Now()
	good := func() AccessClaims {
		return AccessClaims{OrgID: 3, Role: RoleOwner, Type: "access", SessionID: uuid.NewString(), RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Subject: "7", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
		}}
	}
	sign := func(method jwt.SigningMethod, key any, c AccessClaims) string {
		raw, err := jwt.NewWithClaims(method, c).SignedString(key)
		require.NoError(t, err)
		return raw
	}
	raw := sign(jwt.SigningMethodHS256, []byte(testKey), good())
	_, _, err := tokens.ParseAccess(raw)
	require.NoError(t, err, "the control case is accepted")

	cases := map[string]string{
		"another key":     sign(jwt.SigningMethodHS256, []byte("another-secret-key-with-at-least-32-chars"), good()),
		"HS512":           sign(jwt.SigningMethodHS512, []byte(testKey), good()),
		"alg none":        sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good()),
		"another issuer":  sign(jwt.SigningMethodHS256, []byte(testKey), func() AccessClaims { c := good(); c.Issuer = "evil"; return c }()),
		"a refresh type":  sign(jwt.SigningMethodHS256, []byte(testKey), func() AccessClaims { c := good(); c.Type = "refresh"; return c }()),
		"no org":          sign(jwt.SigningMethodHS256, []byte(testKey), func() AccessClaims { c := good(); c.OrgID = 0; return c }()),
		"no expiry":       sign(jwt.SigningMethodHS256, []byte(testKey), func() AccessClaims { c := good(); c.ExpiresAt = nil; return c }()),
		"a text subject":  sign(jwt.SigningMethodHS256, []byte(testKey), func() AccessClaims { c := good(); c.Subject = "admin"; return c }()),
		"a zero subject":  sign(jwt.SigningMethodHS256, []byte(testKey), func() AccessClaims { c := good(); c.Subject = "0"; return c }()),
		"a minus subject": sign(jwt.SigningMethodHS256, []byte(testKey), func() AccessClaims { c := good(); c.Subject = "-7"; return c }()),
		"empty":           "",
		"garbage":         "not.a.token",
		"tampered payload": func() string {
			parts := strings.Split(raw, ".")
			c := good()
			c.Role = RoleOwner
			c.OrgID = 4
			other := strings.Split(sign(jwt.SigningMethodHS256, []byte("x"), c), ".")
			return parts[0] + "." + other[1] + "." + parts[2]
		}(),
	}
	for name, tok := range cases {
		_, _, err := tokens.ParseAccess(tok)
		require.ErrorIs(t, err, ErrInvalidToken, name)
	}
}

func TestSecrets_PrefixedRandomAndHashed(t *testing.T) {
	t.Parallel()
	kinds := map[string]func() string{APIKeyPrefix: NewAPIKey, refreshPrefix: NewRefreshToken, invitationPrefix: NewInvitationToken}
	seen := map[string]bool{}
	for prefix, gen := range kinds {
		for range 20 {
			raw := gen()
			require.True(t, strings.HasPrefix(raw, prefix), raw)
			body, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(raw, prefix))
			require.NoError(t, err, "base64url after the prefix")
			require.Len(t, body, 32, "256 bits of randomness")
			require.False(t, seen[raw], "never repeats")
			seen[raw] = true
		}
	}
	require.True(t, IsAPIKey(NewAPIKey()))
	require.False(t, IsAPIKey(NewRefreshToken()), "a refresh token is no API key")
	require.False(t, IsAPIKey(NewInvitationToken()))
	require.False(t, IsAPIKey("eyJhbGciOiJIUzI1NiJ9.e30.x"), "a JWT is no API key")

	raw := NewAPIKey()
	sum := sha256.Sum256([]byte(raw))
	require.Equal(t, sum[:], HashSecret(raw), "the stored form is the SHA-256")
	require.Equal(t, HashSecret(raw), HashSecret(raw))
	require.NotEqual(t, HashSecret(raw), HashSecret(raw+"x"))
	require.NotContains(t, string(HashSecret(raw)), raw)
}

func TestVisiblePrefix_ShowsTwelveCharactersOfAKey(t *testing.T) {
	t.Parallel()
	raw := NewAPIKey()
	require.Equal(t, raw[:12], VisiblePrefix(raw))
	require.Len(t, VisiblePrefix(raw), APIKeyVisiblePrefixLength)
	require.True(t, strings.HasPrefix(VisiblePrefix(raw), APIKeyPrefix))
	require.Equal(t, "dnk_abc", VisiblePrefix("dnk_abc"), "a short string is shown whole")
}

func TestCheckPassword_LengthBoundaries(t *testing.T) {
	t.Parallel()
	const email = "someone@example.com"
	require.Error(t, CheckPassword("zq8#vx!m2", email, "password"), "9 characters")
	require.NoError(t, CheckPassword("zq8#vx!m2k", email, "password"), "10 characters")
	require.NoError(t, CheckPassword("ünïcödé-ok", email, "password"), "10 characters in 16 bytes count as 10")
	require.NoError(t, CheckPassword(strings.Repeat("zq8#", 18), email, "password"), "72 bytes")
	require.Error(t, CheckPassword(strings.Repeat("zq8#", 18)+"x", email, "password"), "73 bytes")
}

func TestHashPassword_BcryptAtTheConfiguredCost(t *testing.T) {
	t.Parallel()
	const pw = "velvet kestrel 1984"
	hash, err := HashPassword(pw)
	require.NoError(t, err)
	cost, err := bcrypt.Cost([]byte(hash))
	require.NoError(t, err)
	require.GreaterOrEqual(t, cost, 12, "SPEC §4: bcrypt at cost 12 at least")
	require.NotContains(t, hash, pw)

	require.True(t, VerifyPassword(hash, pw))
	require.False(t, VerifyPassword(hash, "velvet kestrel 1985"))
	require.False(t, VerifyPassword(hash, ""))
	require.False(t, VerifyPassword("", pw), "an account without a password never matches")
	require.False(t, VerifyPassword("", ""), "not even with an empty password")
	require.False(t, VerifyPassword(hash, pw+strings.Repeat("x", 1024)), "an absurdly long password never matches")
	require.False(t, VerifyPassword("not-a-bcrypt-hash", pw))
}
