package auth

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrincipal_ActingRoleIsTheSmallerOfRoleAndScopes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		p      Principal
		acting Role
	}{
		{"a person acts with their role", Principal{UserID: 1, Role: RoleOwner}, RoleOwner},
		{"a person who is a viewer", Principal{UserID: 1, Role: RoleViewer}, RoleViewer},
		{"an owner's admin key is admin, never owner", Principal{APIKeyID: 7, Role: RoleOwner, Scopes: []Scope{ScopeAdmin}}, RoleAdmin},
		{"an owner's key with every scope is admin", Principal{APIKeyID: 7, Role: RoleOwner, Scopes: []Scope{ScopeRead, ScopeWrite, ScopeRun, ScopeAdmin}}, RoleAdmin},
		{"an owner's write key is editor", Principal{APIKeyID: 7, Role: RoleOwner, Scopes: []Scope{ScopeWrite}}, RoleEditor},
		{"an owner's run key is editor", Principal{APIKeyID: 7, Role: RoleOwner, Scopes: []Scope{ScopeRun}}, RoleEditor},
		{"an owner's read key is viewer", Principal{APIKeyID: 7, Role: RoleOwner, Scopes: []Scope{ScopeRead}}, RoleViewer},
		{"an editor's admin key is editor", Principal{APIKeyID: 7, Role: RoleEditor, Scopes: []Scope{ScopeAdmin}}, RoleEditor},
		{"a viewer's admin key is viewer", Principal{APIKeyID: 7, Role: RoleViewer, Scopes: []Scope{ScopeAdmin}}, RoleViewer},
		{"a key without scopes is nothing", Principal{APIKeyID: 7, Role: RoleOwner}, ""},
		{"an unknown scope gives nothing", Principal{APIKeyID: 7, Role: RoleOwner, Scopes: []Scope{"root"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.acting, c.p.ActingRole())
		})
	}
}
