package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Kinds of opaque secret. Each is random bytes, base64url, with a prefix that says what it is.
const (
	APIKeyPrefix     = "dnk_"
	refreshPrefix    = "dnkr_"
	invitationPrefix = "dnki_"
	// APIKeyVisiblePrefixLength is how much of a key is stored in clear to recognise it.
	APIKeyVisiblePrefixLength = 12
)

func newSecret(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// NewAPIKey returns a raw API key ("dnk_" + 32 random bytes).
func NewAPIKey() string { return newSecret(APIKeyPrefix) }

// NewRefreshToken returns a raw refresh token.
func NewRefreshToken() string { return newSecret(refreshPrefix) }

// NewInvitationToken returns a raw invitation token.
func NewInvitationToken() string { return newSecret(invitationPrefix) }

// HashSecret is what is stored of a secret: its SHA-256. The secrets carry 256 bits of
// randomness, so a fast hash is enough (unlike passwords).
func HashSecret(raw string) []byte {
	h := sha256.Sum256([]byte(raw))
	return h[:]
}

// IsAPIKey reports whether a bearer credential is an API key rather than a JWT.
func IsAPIKey(credential string) bool { return strings.HasPrefix(credential, APIKeyPrefix) }

// VisiblePrefix is the part of a key shown in lists.
func VisiblePrefix(raw string) string {
	if len(raw) <= APIKeyVisiblePrefixLength {
		return raw
	}
	return raw[:APIKeyVisiblePrefixLength]
}
