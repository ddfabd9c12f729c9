package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

const testKey = "test-secret-key-with-at-least-32-characters"

func TestTokens_AccessTokenCarriesItsSession(t *testing.T) {
	t.Parallel()
	tokens := NewTokens(testKey, nil)
	sid := uuid.New()
	raw, err := tokens.IssueAccess(7, 3, RoleEditor, sid)
	require.NoError(t, err)
	userID, claims, err := tokens.ParseAccess(raw)
	require.NoError(t, err)
	require.Equal(t, int64(7), userID)
	require.Equal(t, int64(3), claims.OrgID)
	require.Equal(t, sid, claims.Session())

	_, err = tokens.IssueAccess(7, 3, RoleEditor, uuid.Nil)
	require.Error(t, err, "an access token without a session could never be ended")
}

func TestTokens_ParseAccessRefusesTokensWithoutAValidSession(t *testing.T) {
	t.Parallel()
	tokens := NewTokens(testKey, nil)
	now := time.Now()
	for _, sid := range []string{"", "not-a-uuid", uuid.Nil.String()} {
		claims := AccessClaims{OrgID: 3, Role: RoleOwner, Type: "access", SessionID: sid, RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Subject: "7", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
		}}
		raw, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(testKey))
		require.NoError(t, err)
		_, _, err = tokens.ParseAccess(raw)
		require.ErrorIs(t, err, ErrInvalidToken, "sid %q", sid)
	}
}
