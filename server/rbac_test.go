package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika"
	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/testutil"
)

// idParam matches a path parameter that names a resource by id ({id}, {user_id}…).
var idParam = regexp.MustCompile(`\{[a-z_]*id\}`)

type specOperation struct {
	id, method, path string
	hasPathParam     bool
}

func specOperations(t testing.TB) []specOperation {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(datanika.OpenAPISpec)
	require.NoError(t, err)
	var ops []specOperation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, specOperation{id: op.OperationID, method: method, path: path, hasPathParam: idParam.MatchString(path)})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	return ops
}

func TestPermissions_EveryOperationOfTheContractIsListed(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, op := range specOperations(t) {
		_, ok := auth.OperationPermissions[op.id]
		require.True(t, ok, "operation %s (%s %s) is missing from auth.OperationPermissions", op.id, op.method, op.path)
		seen[op.id] = true
	}
	for id := range auth.OperationPermissions {
		require.True(t, seen[id], "auth.OperationPermissions lists %s, which openapi.yaml does not have", id)
	}
}

// request is one call of an operation, built against a fixture with fresh targets.
type request struct {
	method, path string
	body         any
}

// requestBuilders make a valid request for every non-public operation. Destructive ones get a
// fresh target each time. A test fails when an operation has no builder.
var requestBuilders = map[string]func(t *testing.T, s *testServer, f orgFixture) request{
	"switchOrg": func(_ *testing.T, _ *testServer, f orgFixture) request {
		return request{http.MethodPost, "/api/v1/auth/switch-org", map[string]any{"org_id": f.orgID}}
	},
	"linkOAuth": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodPost, "/api/v1/auth/oauth/github/link", map[string]any{}}
	},
	"getMe": func(*testing.T, *testServer, orgFixture) request { return request{http.MethodGet, "/api/v1/me", nil} },
	"updateMe": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodPatch, "/api/v1/me", map[string]any{"full_name": "New Name"}}
	},
	"getOrg": func(*testing.T, *testServer, orgFixture) request { return request{http.MethodGet, "/api/v1/org", nil} },
	"updateOrg": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodPatch, "/api/v1/org", map[string]any{"name": "Renamed Org"}}
	},
	"deleteOrg": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodDelete, "/api/v1/org", nil}
	},
	"listMembers": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/members", nil}
	},
	"addMember": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodPost, "/api/v1/members", map[string]any{"email": uniqueEmail("invitee"), "role": "viewer"}}
	},
	"updateMember": func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/members/%d", s.addMember(t, f, "viewer")), map[string]any{"role": "editor"}}
	},
	"removeMember": func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/members/%d", s.addMember(t, f, "viewer")), nil}
	},
	"listInvitations": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/invitations", nil}
	},
	"revokeInvitation": func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/invitations/%d", s.invite(t, f)), nil}
	},
	"listApiKeys": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/api-keys", nil}
	},
	"createApiKey": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodPost, "/api/v1/api-keys", map[string]any{"name": "ci", "scopes": []string{"read"}}}
	},
	"revokeApiKey": func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/api-keys/%d", s.createKey(t, f, "read").Id), nil}
	},
	"listAuditLogs": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/audit-logs", nil}
	},
	"listConnectionTypes": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/connection-types", nil}
	},
	"listConnections": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/connections", nil}
	},
	"createConnection": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodPost, "/api/v1/connections", map[string]any{"name": uniqueEmail("conn"), "type": "postgres", "config": localPostgres("secret-pw")}}
	},
	"testUnsavedConnection": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodPost, "/api/v1/connections/test", map[string]any{"type": "postgres", "config": localPostgres("secret-pw")}}
	},
	"getConnection": func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/connections/%d", s.createConnection(t, f).Id), nil}
	},
	"updateConnection": func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/connections/%d", s.createConnection(t, f).Id), map[string]any{"name": uniqueEmail("renamed")}}
	},
	"deleteConnection": func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/connections/%d", s.createConnection(t, f).Id), nil}
	},
	"testConnection": func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPost, fmt.Sprintf("/api/v1/connections/%d/test", s.createConnection(t, f).Id), nil}
	},
	"getConnectionCatalog": func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/connections/%d/catalog", s.createConnection(t, f).Id), nil}
	},
	"queryConnection": func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPost, fmt.Sprintf("/api/v1/connections/%d/query", s.createConnection(t, f).Id), map[string]any{"sql": "SELECT 1 AS one"}}
	},
	"listFiles": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/files", nil}
	},
	"uploadFile": func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodPost, "/api/v1/files", upload{"file", "orders.csv", []byte("id,amount\n1,2.5\n")}}
	},
	"deleteFile": func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/files/%d", s.uploadFile(t, f).Id), nil}
	},
}

// localPostgres is a config of the PostgreSQL server the tests run against.
func localPostgres(password string) map[string]any {
	u, _ := url.Parse(testutil.AdminURL())
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		port = 5432
	}
	return map[string]any{"host": u.Hostname(), "port": port, "database": strings.TrimPrefix(u.Path, "/"), "user": u.User.Username(), "password": password, "sslmode": "disable"}
}

// createConnection creates a PostgreSQL connection as f's owner.
func (s *testServer) createConnection(t *testing.T, f orgFixture) api.Connection {
	t.Helper()
	return decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", f.owner.AccessToken,
		map[string]any{"name": uniqueEmail("pg"), "type": "postgres", "config": localPostgres("secret-pw")}), http.StatusCreated)
}

// uploadFile uploads a small CSV as f's owner.
func (s *testServer) uploadFile(t *testing.T, f orgFixture) api.File {
	t.Helper()
	return decode[api.File](t, s.call(t, http.MethodPost, "/api/v1/files", f.owner.AccessToken, upload{"file", "orders.csv", []byte("id,amount\n1,2.5\n")}), http.StatusCreated)
}

// addMember signs up a new user and adds them to f's org with role; it returns their user id.
func (s *testServer) addMember(t *testing.T, f orgFixture, role string) int64 {
	t.Helper()
	email := uniqueEmail("member")
	s.signup(t, email, "Member")
	m := decode[api.Member](t, s.call(t, http.MethodPost, "/api/v1/members", f.owner.AccessToken, map[string]any{"email": email, "role": role}), http.StatusCreated)
	return m.UserId
}

// invite creates a pending invitation in f's org and returns its id.
func (s *testServer) invite(t *testing.T, f orgFixture) int64 {
	t.Helper()
	inv := decode[api.Invitation](t, s.call(t, http.MethodPost, "/api/v1/members", f.owner.AccessToken, map[string]any{"email": uniqueEmail("pending"), "role": "editor"}), http.StatusAccepted)
	return inv.Id
}

// createKey creates an API key of f's owner with the given scopes.
func (s *testServer) createKey(t *testing.T, f orgFixture, scopes ...string) api.ApiKeyCreated {
	t.Helper()
	return decode[api.ApiKeyCreated](t, s.call(t, http.MethodPost, "/api/v1/api-keys", f.owner.AccessToken, map[string]any{"name": "key " + strings.Join(scopes, "+"), "scopes": scopes}), http.StatusCreated)
}

func TestRBAC_EveryRoleAgainstEveryOperation(t *testing.T) {
	t.Parallel()
	s, _ := setupOAuth(t)
	roles := []auth.Role{auth.RoleViewer, auth.RoleEditor, auth.RoleAdmin, auth.RoleOwner}
	for _, op := range specOperations(t) {
		perm := auth.OperationPermissions[op.id]
		if perm == auth.Public {
			continue
		}
		build, ok := requestBuilders[op.id]
		require.True(t, ok, "no request builder for %s: add one so its permissions are tested", op.id)
		f := s.newOrg(t) // a fresh org per operation, so destructive ones cannot disturb others
		for _, role := range roles {
			r := build(t, s, f)
			rec := s.call(t, r.method, r.path, f.token(role), r.body)
			if perm.Allows(role, false, nil) {
				require.NotContains(t, []int{401, 403}, rec.Code, "%s as %s must be allowed: %s", op.id, role, rec.Body.String())
				require.Less(t, rec.Code, 300, "%s as %s: %s", op.id, role, rec.Body.String())
			} else {
				p := decodeProblem(t, rec, http.StatusForbidden)
				require.Equal(t, api.ErrorCodeForbidden, *p.Code, op.id)
			}
		}
	}
}

func TestRBAC_APIKeyScopesAgainstEveryOperation(t *testing.T) {
	t.Parallel()
	s, _ := setupOAuth(t)
	scopeSets := [][]string{{"read"}, {"write"}, {"run"}, {"admin"}, {"read", "write", "run"}}
	for _, op := range specOperations(t) {
		perm := auth.OperationPermissions[op.id]
		if perm == auth.Public {
			continue
		}
		f := s.newOrg(t)
		for _, scopes := range scopeSets {
			key := s.createKey(t, f, scopes...)
			r := requestBuilders[op.id](t, s, f)
			rec := s.call(t, r.method, r.path, key.Key, r.body)
			as := make([]auth.Scope, 0, len(scopes))
			for _, sc := range scopes {
				as = append(as, auth.Scope(sc))
			}
			// The owner created the keys: the scopes are what limits them.
			if perm.Allows(auth.RoleOwner, true, as) {
				require.Less(t, rec.Code, 300, "%s with a %v key must be allowed: %s", op.id, scopes, rec.Body.String())
			} else {
				decodeProblem(t, rec, http.StatusForbidden)
			}
		}
	}
}

func TestAPIKey_ActsWithTheSmallerOfCreatorRoleAndScopes(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	// An admin's admin-scoped key can manage members…
	adminKey := decode[api.ApiKeyCreated](t, s.call(t, http.MethodPost, "/api/v1/api-keys", f.admin.AccessToken, map[string]any{"name": "admin key", "scopes": []string{"admin"}}), http.StatusCreated)
	require.True(t, strings.HasPrefix(adminKey.Key, "dnk_"))
	require.Equal(t, adminKey.Key[:len(adminKey.Prefix)], adminKey.Prefix)
	decode[api.MemberList](t, s.call(t, http.MethodGet, "/api/v1/members", adminKey.Key, nil), http.StatusOK)
	decode[api.ApiKeyList](t, s.call(t, http.MethodGet, "/api/v1/api-keys", adminKey.Key, nil), http.StatusOK)

	// …until the admin is demoted to viewer: the key follows the creator's current role…
	decode[api.Member](t, s.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/members/%d", f.admin.User.Id), f.owner.AccessToken, map[string]any{"role": "viewer"}), http.StatusOK)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/api-keys", adminKey.Key, nil), http.StatusForbidden)
	decode[api.Org](t, s.call(t, http.MethodGet, "/api/v1/org", adminKey.Key, nil), http.StatusOK)

	// …and dies with the membership.
	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/members/%d", f.admin.User.Id), f.owner.AccessToken, nil).Code)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/org", adminKey.Key, nil), http.StatusUnauthorized)

	// A revoked key is refused; the list never shows secrets.
	key := s.createKey(t, f, "read")
	list := s.call(t, http.MethodGet, "/api/v1/api-keys", f.owner.AccessToken, nil)
	require.NotContains(t, list.Body.String(), key.Key)
	require.NotContains(t, list.Body.String(), "hash")
	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/api-keys/%d", key.Id), f.owner.AccessToken, nil).Code)
	decodeProblem(t, s.call(t, http.MethodGet, "/api/v1/org", key.Key, nil), http.StatusUnauthorized)
}

// crossTenantTargets give, for every operation that takes an id, an id that exists in another org.
var crossTenantTargets = map[string]func(t *testing.T, s *testServer, other orgFixture) request{
	"updateMember": func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/members/%d", s.addMember(t, g, "viewer")), map[string]any{"role": "editor"}}
	},
	"removeMember": func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/members/%d", s.addMember(t, g, "viewer")), nil}
	},
	"revokeInvitation": func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/invitations/%d", s.invite(t, g)), nil}
	},
	"revokeApiKey": func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/api-keys/%d", s.createKey(t, g, "read").Id), nil}
	},
	"deleteFile": func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/files/%d", s.uploadFile(t, g).Id), nil}
	},
	"getConnection": func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/connections/%d", s.createConnection(t, g).Id), nil}
	},
	"updateConnection": func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/connections/%d", s.createConnection(t, g).Id), map[string]any{"name": "stolen"}}
	},
	"deleteConnection": func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/connections/%d", s.createConnection(t, g).Id), nil}
	},
	"testConnection": func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, fmt.Sprintf("/api/v1/connections/%d/test", s.createConnection(t, g).Id), nil}
	},
	"getConnectionCatalog": func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/connections/%d/catalog", s.createConnection(t, g).Id), nil}
	},
	"queryConnection": func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, fmt.Sprintf("/api/v1/connections/%d/query", s.createConnection(t, g).Id), map[string]any{"sql": "SELECT 1"}}
	},
}

func TestCrossTenant_AnotherOrgsIDsAnswer404AndChangeNothing(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f, g := s.newOrg(t), s.newOrg(t)
	rolesOf := func() map[int64]api.Role {
		list := decode[api.MemberList](t, s.call(t, http.MethodGet, "/api/v1/members", g.owner.AccessToken, nil), http.StatusOK)
		m := map[int64]api.Role{}
		for _, item := range list.Items {
			m[item.UserId] = item.Role
		}
		return m
	}
	for _, op := range specOperations(t) {
		if !op.hasPathParam {
			continue
		}
		target, ok := crossTenantTargets[op.id]
		require.True(t, ok, "no cross-tenant case for %s: every operation taking an id needs one", op.id)
		r := target(t, s, g)
		rec := s.call(t, r.method, r.path, f.owner.AccessToken, r.body)
		p := decodeProblem(t, rec, http.StatusNotFound)
		require.Equal(t, api.ErrorCodeNotFound, *p.Code)
	}
	// g's people, keys and invitations are all still there, untouched: the targets created for
	// updateMember and removeMember are viewers still.
	roles := rolesOf()
	require.Len(t, roles, 6, "g's owner, admin, editor, viewer and the two targets")
	viewers := 0
	for _, r := range roles {
		if r == "viewer" {
			viewers++
		}
	}
	require.Equal(t, 3, viewers)
	keys := decode[api.ApiKeyList](t, s.call(t, http.MethodGet, "/api/v1/api-keys", g.owner.AccessToken, nil), http.StatusOK)
	require.Len(t, keys.Items, 1)
	invs := decode[api.InvitationList](t, s.call(t, http.MethodGet, "/api/v1/invitations", g.owner.AccessToken, nil), http.StatusOK)
	require.Len(t, invs.Items, 1)

	// Lists never show another org's rows.
	fMembers := decode[api.MemberList](t, s.call(t, http.MethodGet, "/api/v1/members", f.owner.AccessToken, nil), http.StatusOK)
	for _, m := range fMembers.Items {
		require.NotEqual(t, g.owner.User.Id, m.UserId)
	}
	audit := s.call(t, http.MethodGet, "/api/v1/audit-logs?limit=500", f.owner.AccessToken, nil)
	require.NotContains(t, audit.Body.String(), g.owner.User.Email)
}

func TestRBAC_ReadOnlyRoleCannotMutateAndNothingChanges(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	decodeProblem(t, s.call(t, http.MethodPatch, "/api/v1/org", f.viewer.AccessToken, map[string]any{"name": "Hijacked"}), http.StatusForbidden)
	decodeProblem(t, s.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/members/%d", f.viewer.User.Id), f.viewer.AccessToken, map[string]any{"role": "owner"}), http.StatusForbidden)
	org := decode[api.Org](t, s.call(t, http.MethodGet, "/api/v1/org", f.viewer.AccessToken, nil), http.StatusOK)
	require.NotEqual(t, "Hijacked", org.Name)
	var role string
	require.NoError(t, s.pool.QueryRow(context.Background(),
		"SELECT role FROM memberships WHERE user_id = $1 AND deleted_at IS NULL AND org_id = $2 AND set_config('app.org_id', $2::text, false) IS NOT NULL",
		f.viewer.User.Id, f.orgID).Scan(&role))
	require.Equal(t, "viewer", role)
}

// ownerOnlyCase is a call of an operation that only a signed-in owner may make whatever the
// operation's own permission (granting or revoking the owner role). build returns the request
// and a check that the org is as it was, run after every refusal.
type ownerOnlyCase struct {
	name, operationID string
	build             func(t *testing.T, s *testServer, f orgFixture) (request, func(t *testing.T))
}

// memberRole reads a member's role in f's org as its owner sees it ("" when not a member).
func (s *testServer) memberRole(t *testing.T, f orgFixture, userID int64) api.Role {
	t.Helper()
	list := decode[api.MemberList](t, s.call(t, http.MethodGet, "/api/v1/members?limit=500", f.owner.AccessToken, nil), http.StatusOK)
	for _, m := range list.Items {
		if m.UserId == userID {
			return m.Role
		}
	}
	return ""
}

func (s *testServer) requireRole(userID int64, f orgFixture, want api.Role) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		require.Equal(t, want, s.memberRole(t, f, userID), "member %d", userID)
	}
}

// ownerOnlyCases are walked with every role and every API key scope set: only an owner signed
// in as a person may make them; an API key, even an owner's admin-scoped one, acts as admin.
var ownerOnlyCases = []ownerOnlyCase{
	{"add an existing user as owner", "addMember", func(t *testing.T, s *testServer, f orgFixture) (request, func(t *testing.T)) {
		email := uniqueEmail("future-owner")
		user := s.signup(t, email, "Future Owner")
		return request{http.MethodPost, "/api/v1/members", map[string]any{"email": email, "role": "owner"}}, s.requireRole(user.User.Id, f, "")
	}},
	{"invite a new address as owner", "addMember", func(t *testing.T, s *testServer, f orgFixture) (request, func(t *testing.T)) {
		return request{http.MethodPost, "/api/v1/members", map[string]any{"email": uniqueEmail("invited-owner"), "role": "owner"}}, func(t *testing.T) {
			invs := decode[api.InvitationList](t, s.call(t, http.MethodGet, "/api/v1/invitations?limit=500", f.owner.AccessToken, nil), http.StatusOK)
			for _, inv := range invs.Items {
				require.NotEqual(t, api.Role("owner"), inv.Role, "no owner invitation may exist")
			}
		}
	}},
	{"promote a member to owner", "updateMember", func(t *testing.T, s *testServer, f orgFixture) (request, func(t *testing.T)) {
		id := s.addMember(t, f, "viewer")
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/members/%d", id), map[string]any{"role": "owner"}}, s.requireRole(id, f, "viewer")
	}},
	{"demote an owner", "updateMember", func(t *testing.T, s *testServer, f orgFixture) (request, func(t *testing.T)) {
		id := s.addMember(t, f, "owner") // a second owner, so the last-owner rule is not what refuses
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/members/%d", id), map[string]any{"role": "admin"}}, s.requireRole(id, f, "owner")
	}},
	{"demote the first owner", "updateMember", func(t *testing.T, s *testServer, f orgFixture) (request, func(t *testing.T)) {
		s.addMember(t, f, "owner")
		return request{http.MethodPatch, fmt.Sprintf("/api/v1/members/%d", f.owner.User.Id), map[string]any{"role": "viewer"}}, s.requireRole(f.owner.User.Id, f, "owner")
	}},
	{"remove an owner", "removeMember", func(t *testing.T, s *testServer, f orgFixture) (request, func(t *testing.T)) {
		id := s.addMember(t, f, "owner")
		return request{http.MethodDelete, fmt.Sprintf("/api/v1/members/%d", id), nil}, s.requireRole(id, f, "owner")
	}},
	{"delete the org", "deleteOrg", func(t *testing.T, s *testServer, f orgFixture) (request, func(t *testing.T)) {
		return request{http.MethodDelete, "/api/v1/org", nil}, func(t *testing.T) {
			decode[api.Org](t, s.call(t, http.MethodGet, "/api/v1/org", f.owner.AccessToken, nil), http.StatusOK)
		}
	}},
}

func TestRBAC_OwnerOnlyCallsAgainstEveryRoleAndScope(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	ops := map[string]bool{}
	for _, op := range specOperations(t) {
		ops[op.id] = true
	}
	roles := []auth.Role{auth.RoleViewer, auth.RoleEditor, auth.RoleAdmin, auth.RoleOwner}
	scopeSets := [][]string{{"read"}, {"write"}, {"run"}, {"admin"}, {"read", "write", "run", "admin"}}
	for _, c := range ownerOnlyCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.True(t, ops[c.operationID], "%s is not an operation of openapi.yaml", c.operationID)
			f := s.newOrg(t)
			// Keys of the owner first: the owner's role is the most a key could borrow.
			for _, scopes := range scopeSets {
				key := s.createKey(t, f, scopes...)
				r, unchanged := c.build(t, s, f)
				p := decodeProblem(t, s.call(t, r.method, r.path, key.Key, r.body), http.StatusForbidden)
				require.Equal(t, api.ErrorCodeForbidden, *p.Code)
				unchanged(t)
			}
			for _, role := range roles {
				r, unchanged := c.build(t, s, f)
				rec := s.call(t, r.method, r.path, f.token(role), r.body)
				if role == auth.RoleOwner {
					require.Less(t, rec.Code, 300, "%s as a signed-in owner: %s", c.name, rec.Body.String())
					continue
				}
				p := decodeProblem(t, rec, http.StatusForbidden)
				require.Equal(t, api.ErrorCodeForbidden, *p.Code)
				unchanged(t)
			}
		})
	}
}
