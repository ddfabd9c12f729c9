package auth

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

var allRoles = []Role{RoleViewer, RoleEditor, RoleAdmin, RoleOwner}

func TestRole_RanksOwnerAboveAdminAboveEditorAboveViewer(t *testing.T) {
	t.Parallel()
	for i, r := range allRoles {
		require.True(t, r.Valid(), r)
		for j, other := range allRoles {
			require.Equal(t, i >= j, r.AtLeast(other), "%s at least %s", r, other)
		}
	}
	for _, bad := range []Role{"", "root", "Owner", " owner"} {
		require.False(t, bad.Valid(), "%q", bad)
		for _, r := range allRoles {
			require.False(t, bad.AtLeast(r), "an unknown role %q ranks nowhere, not even at least %s", bad, r)
		}
	}
}

func TestValidScope_OnlyTheFourScopes(t *testing.T) {
	t.Parallel()
	for _, s := range []Scope{ScopeRead, ScopeWrite, ScopeRun, ScopeAdmin} {
		require.True(t, ValidScope(s), s)
	}
	for _, s := range []Scope{"", "owner", "READ", "all", "*"} {
		require.False(t, ValidScope(s), "%q", s)
	}
}

// A person's rights are their role's: each permission against each role, written out.
func TestPermission_APersonNeedsTheRoleOfThePermission(t *testing.T) {
	t.Parallel()
	//                            viewer editor admin owner
	want := map[Permission][4]bool{
		Public:  {true, true, true, true},
		Read:    {true, true, true, true},
		Session: {true, true, true, true},
		Write:   {false, true, true, true},
		Run:     {false, true, true, true},
		Admin:   {false, false, true, true},
		Owner:   {false, false, false, true},
	}
	for p, byRole := range want {
		for i, r := range allRoles {
			require.Equal(t, byRole[i], p.Allows(r, false, nil), "%s as a %s", p, r)
		}
		if p != Public {
			require.False(t, p.Allows("", false, nil), "%s without a role", p)
			require.False(t, p.Allows("root", false, nil), "%s with an unknown role", p)
		}
	}
}

// An owner's key is limited by its scopes; written out per permission and scope.
func TestPermission_AnAPIKeyActsWithinItsScopes(t *testing.T) {
	t.Parallel()
	//                            read  write  run    admin
	want := map[Permission][4]bool{
		Public:  {true, true, true, true},
		Read:    {true, true, true, true},
		Session: {false, false, false, false},
		Write:   {false, true, false, true},
		Run:     {false, false, true, true},
		Admin:   {false, false, false, true},
		Owner:   {false, false, false, false},
	}
	scopes := []Scope{ScopeRead, ScopeWrite, ScopeRun, ScopeAdmin}
	for p, byScope := range want {
		for i, s := range scopes {
			require.Equal(t, byScope[i], p.Allows(RoleOwner, true, []Scope{s}), "%s with an owner's %s key", p, s)
		}
		require.Equal(t, p != Session && p != Owner, p.Allows(RoleOwner, true, scopes), "%s with an owner's key of every scope", p)
		require.Equal(t, p == Public, p.Allows(RoleOwner, true, nil), "%s with a key of no scope", p)
	}
}

// A key never does more than its creator's current role allows, whatever its scopes.
func TestPermission_AnAPIKeyNeverExceedsItsCreatorsRole(t *testing.T) {
	t.Parallel()
	every := []Scope{ScopeRead, ScopeWrite, ScopeRun, ScopeAdmin}
	for _, p := range []Permission{Read, Session, Write, Run, Admin, Owner} {
		for _, r := range allRoles {
			if p.Allows(r, true, every) {
				require.True(t, p.Allows(r, false, nil), "a %s's key may %s, which the %s may not", r, p, r)
			}
		}
	}
	require.False(t, Write.Allows(RoleViewer, true, every), "a viewer's admin key cannot write")
	require.False(t, Admin.Allows(RoleEditor, true, every), "an editor's admin key is no admin")
	require.True(t, Run.Allows(RoleEditor, true, []Scope{ScopeRun}))
}

// Every operation of the table, for a person of each role and for keys: an API key acts at most
// as admin (never an Owner or Session operation), and never beyond what an admin person may do.
func TestOperationPermissions_EveryOperationByRoleAndKey(t *testing.T) {
	t.Parallel()
	every := []Scope{ScopeRead, ScopeWrite, ScopeRun, ScopeAdmin}
	for op, p := range OperationPermissions {
		for _, r := range allRoles {
			personMay := p.Allows(r, false, nil)
			require.Equal(t, p == Public || r.AtLeast(permissionRole[p]), personMay, "%s as a %s", op, r)
			keyMay := p.Allows(r, true, every)
			if keyMay {
				require.True(t, p.Allows(RoleAdmin, false, nil) || p == Public, "a key may %s (%s), which an admin may not", op, p)
				require.True(t, personMay, "a %s's key may %s, which the %s may not", r, op, r)
			}
			if p == Owner || p == Session {
				require.False(t, keyMay, "%s (%s) is never an API key's", op, p)
			}
		}
	}
}

func TestOperationPermissions_TheRulesOfSPEC(t *testing.T) {
	t.Parallel()
	var owners []string
	for op, p := range OperationPermissions {
		if p == Owner {
			owners = append(owners, op)
		}
	}
	require.Equal(t, []string{"deleteOrg"}, owners, "deleting the org is the one owner-only operation")
	cases := map[string]Permission{
		// Signing in needs no credential; a person's own profile and session are never a key's.
		"signup": Public, "login": Public, "refreshTokens": Public, "logout": Public, "getHealth": Public,
		"updateMe": Session, "switchOrg": Session, "linkOAuth": Session,
		// Any member reads; editors change and run; admins delete and manage people and keys.
		"listRuns": Read, "getDashboard": Read, "getMe": Read,
		"createPipeline": Write, "updateConnection": Write, "uploadFile": Write,
		"triggerPipelineRun": Run, "cancelRun": Run, "retryRun": Run,
		"deleteConnection": Admin, "deleteFile": Admin, "addMember": Admin, "updateMember": Admin,
		"removeMember": Admin, "createApiKey": Admin, "revokeApiKey": Admin, "listAuditLogs": Admin, "updateOrg": Admin,
	}
	for op, p := range cases {
		got, ok := OperationPermissions[op]
		require.True(t, ok, "%s is in the table", op)
		require.Equal(t, p, got, "%s needs %s, not %s", op, p, got)
	}
}

func TestPermission_StringNamesEachPermission(t *testing.T) {
	t.Parallel()
	want := []string{"public", "read", "session", "write", "run", "admin", "owner"}
	for i, name := range want {
		require.Equal(t, name, Permission(i).String())
	}
	for p := Read; p <= Owner; p++ {
		require.Contains(t, permissionRole, p, "%s has a role", p)
	}
}

func TestPrincipal_TravelsInTheContext(t *testing.T) {
	t.Parallel()
	_, ok := PrincipalFrom(context.Background())
	require.False(t, ok, "no principal in a bare context")
	p := Principal{UserID: 3, OrgID: 4, Role: RoleEditor, APIKeyID: 5, Scopes: []Scope{ScopeRun}, Name: "ci"}
	got, ok := PrincipalFrom(WithPrincipal(context.Background(), p))
	require.True(t, ok)
	require.Equal(t, p, got)
	require.True(t, got.IsAPIKey())
	require.False(t, Principal{UserID: 3}.IsAPIKey())
}

func TestPrincipal_AKeyOfAnUnknownRoleActsAsNothing(t *testing.T) {
	t.Parallel()
	for _, r := range []Role{"", "root"} {
		p := Principal{APIKeyID: 1, Role: r, Scopes: []Scope{ScopeAdmin}}
		require.Equal(t, Role(""), p.ActingRole(), fmt.Sprintf("creator role %q", r))
	}
}
