package auth

import "context"

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
}

// IsAPIKey reports whether the principal is an API key.
func (p Principal) IsAPIKey() bool { return p.APIKeyID != 0 }

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
