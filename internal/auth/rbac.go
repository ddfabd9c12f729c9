package auth

import "slices"

// Role is a member's role in an org: owner > admin > editor > viewer.
type Role string

// The roles.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
	RoleViewer Role = "viewer"
)

var roleRank = map[Role]int{RoleViewer: 1, RoleEditor: 2, RoleAdmin: 3, RoleOwner: 4}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return roleRank[r] > 0 }

// AtLeast reports whether r ranks at or above min.
func (r Role) AtLeast(minRole Role) bool { return r.Valid() && roleRank[r] >= roleRank[minRole] }

// Scope is what an API key may do: read, write, run or admin.
type Scope string

// The scopes.
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
	ScopeRun   Scope = "run"
	ScopeAdmin Scope = "admin"
)

// scopeRole is the most a scope lets a key do, as a role.
var scopeRole = map[Scope]Role{ScopeRead: RoleViewer, ScopeWrite: RoleEditor, ScopeRun: RoleEditor, ScopeAdmin: RoleAdmin}

// ValidScope reports whether s is a known scope.
func ValidScope(s Scope) bool {
	return s == ScopeRead || s == ScopeWrite || s == ScopeRun || s == ScopeAdmin
}

// Permission is what an operation requires.
type Permission int

// The permissions, from none to most.
const (
	// Public operations need no credential.
	Public Permission = iota
	// Read is any member, viewer included; an API key with any scope.
	Read
	// Session is any member signed in as a person (not an API key): their own profile and sessions.
	Session
	// Write is editor: create and update; an API key with the write scope.
	Write
	// Run is editor: trigger, cancel and retry runs; an API key with the run scope.
	Run
	// Admin is admin: delete, members, API keys, settings, audit; an API key with the admin scope.
	Admin
	// Owner is owner alone: delete the org. API keys never have it.
	Owner
)

var permissionRole = map[Permission]Role{
	Read: RoleViewer, Session: RoleViewer, Write: RoleEditor, Run: RoleEditor, Admin: RoleAdmin, Owner: RoleOwner,
}

// Allows reports whether a principal with this role (and, for an API key, these scopes) may use
// an operation requiring p. A key acts with the smaller of its creator's role and its scopes.
func (p Permission) Allows(role Role, apiKey bool, scopes []Scope) bool {
	if p == Public {
		return true
	}
	if !role.AtLeast(permissionRole[p]) {
		return false
	}
	if !apiKey {
		return true
	}
	has := func(s Scope) bool { return slices.Contains(scopes, s) }
	switch p {
	case Read:
		return len(scopes) > 0
	case Write:
		return has(ScopeWrite) || has(ScopeAdmin)
	case Run:
		return has(ScopeRun) || has(ScopeAdmin)
	case Admin:
		return has(ScopeAdmin)
	default: // Session, Owner
		return false
	}
}

// String names the permission for errors and docs.
func (p Permission) String() string {
	return [...]string{"public", "read", "session", "write", "run", "admin", "owner"}[p]
}
