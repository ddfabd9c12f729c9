package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetimes.
const (
	AccessTokenTTL  = 15 * time.Minute
	RefreshTokenTTL = 14 * 24 * time.Hour
)

const issuer = "datanika"

// AccessClaims are the claims of an access token.
type AccessClaims struct {
	OrgID int64  `json:"org_id"`
	Role  Role   `json:"role"`
	Type  string `json:"type"`
	jwt.RegisteredClaims
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

// IssueAccess signs an access token for a user acting in an org.
func (t *Tokens) IssueAccess(userID, orgID int64, role Role) (string, error) {
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	now := t.now()
	claims := AccessClaims{
		OrgID: orgID,
		Role:  role,
		Type:  "access",
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

// ParseAccess verifies an access token and returns the user and org it names.
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
	if claims.Type != "access" || claims.OrgID <= 0 {
		return 0, claims, ErrInvalidToken
	}
	userID, err = strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil || userID <= 0 {
		return 0, claims, ErrInvalidToken
	}
	return userID, claims, nil
}
