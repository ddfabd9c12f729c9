package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Token lifetimes.
const (
	AccessTokenTTL  = 15 * time.Minute
	RefreshTokenTTL = 14 * 24 * time.Hour
)

const issuer = "datanika"

// AccessClaims are the claims of an access token. SessionID (sid) names the session, the
// refresh-token family the token was issued with: when that session ends (sign-out, reuse of a
// rotated refresh token, a password change made elsewhere) its access tokens end too.
type AccessClaims struct {
	OrgID     int64  `json:"org_id"`
	Role      Role   `json:"role"`
	Type      string `json:"type"`
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

// Session returns the session the token belongs to.
func (c AccessClaims) Session() uuid.UUID {
	id, _ := uuid.Parse(c.SessionID)
	return id
}

// Tokens signs and verifies access tokens with the installation's SECRET_KEY (HS256).
type Tokens struct {
	key []byte
	now func() time.Time
}

// NewTokens returns a signer; now may be nil (time.Now).
func NewTokens(secretKey string, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{key: []byte(secretKey), now: now}
}

// IssueAccess signs an access token for a user acting in an org, within session (its
// refresh-token family).
func (t *Tokens) IssueAccess(userID, orgID int64, role Role, session uuid.UUID) (string, error) {
	if session == uuid.Nil {
		return "", errors.New("an access token needs a session")
	}
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	now := t.now()
	claims := AccessClaims{
		OrgID:     orgID,
		Role:      role,
		Type:      "access",
		SessionID: session.String(),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   strconv.FormatInt(userID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Second)),
			ExpiresAt: jwt.NewNumericDate(now.Add(AccessTokenTTL)),
			ID:        hex.EncodeToString(jti),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.key)
}

// ErrInvalidToken covers every way an access token can be unacceptable.
var ErrInvalidToken = errors.New("invalid or expired access token")

// ParseAccess verifies an access token and returns the user, org and session it names. A token
// without a session (signed before sessions were named) is refused: it could not be ended.
func (t *Tokens) ParseAccess(raw string) (userID int64, claims AccessClaims, err error) {
	_, err = jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return t.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return 0, claims, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.Type != "access" || claims.OrgID <= 0 || claims.Session() == uuid.Nil {
		return 0, claims, ErrInvalidToken
	}
	userID, err = strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil || userID <= 0 {
		return 0, claims, ErrInvalidToken
	}
	return userID, claims, nil
}
