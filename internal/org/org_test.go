package org

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
)

func TestMayGrant_OwnerOnlyBySignedInOwner(t *testing.T) {
	t.Parallel()
	owner := auth.Principal{UserID: 1, Role: auth.RoleOwner}
	admin := auth.Principal{UserID: 2, Role: auth.RoleAdmin}
	ownersAdminKey := auth.Principal{UserID: 1, Role: auth.RoleOwner, APIKeyID: 9, Scopes: []auth.Scope{auth.ScopeAdmin}}
	ownersFullKey := auth.Principal{UserID: 1, Role: auth.RoleOwner, APIKeyID: 9, Scopes: []auth.Scope{auth.ScopeRead, auth.ScopeWrite, auth.ScopeRun, auth.ScopeAdmin}}
	cases := []struct {
		name    string
		p       auth.Principal
		role    auth.Role
		allowed bool
	}{
		{"owner grants owner", owner, auth.RoleOwner, true},
		{"owner grants admin", owner, auth.RoleAdmin, true},
		{"admin grants admin", admin, auth.RoleAdmin, true},
		{"admin cannot grant owner", admin, auth.RoleOwner, false},
		{"owner's admin key grants admin", ownersAdminKey, auth.RoleAdmin, true},
		{"owner's admin key cannot grant owner", ownersAdminKey, auth.RoleOwner, false},
		{"owner's key with every scope cannot grant owner", ownersFullKey, auth.RoleOwner, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := mayGrant(c.p, c.role)
			if c.allowed {
				require.NoError(t, err)
				return
			}
			var ae *apperr.Error
			require.True(t, errors.As(err, &ae), "%v", err)
			require.Equal(t, apperr.Forbidden, ae.Kind)
		})
	}
}
