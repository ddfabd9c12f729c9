package auth

import (
	"context"

	"github.com/google/uuid"
)

// Principal is who a request acts as, with the role re-read from the membership.
type Principal struct {
	UserID int64
	OrgID  int64
	Role   Role
	// APIKeyID is set when the request authenticated with an API key (acting as its creator).
	APIKeyID int64
	Scopes   []Scope
	// Name identifies the actor in the audit log: the user's email or the key's name.
	Name string
	// SessionID is the session (refresh-token family) of a person's access token; zero for a key.
	SessionID uuid.UUID
}

// IsAPIKey reports whether the principal is an API key.
func (p Principal) IsAPIKey() bool { return p.APIKeyID != 0 }

// ActingRole is the role the principal acts with: a person's current role; for an API key the
// smaller of its creator's current role and what its scopes give (admin: admin; write or run:
// editor; read: viewer). No scope gives owner, so a key never grants or revokes owner.
func (p Principal) ActingRole() Role {
	if !p.IsAPIKey() {
		return p.Role
	}
	var byScope Role
	for _, s := range p.Scopes {
		r := scopeRole[s]
		if roleRank[r] > roleRank[byScope] {
			byScope = r
		}
	}
	if !byScope.Valid() || !p.Role.Valid() {
		return ""
	}
	if roleRank[byScope] < roleRank[p.Role] {
		return byScope
	}
	return p.Role
}

type principalKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of an authenticated request.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
