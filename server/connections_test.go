package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/connectors/standard"
	"github.com/datanika/datanika/internal/secrets"
	"github.com/datanika/datanika/internal/testutil"
)

// pgConfigFor is a connection config of the database at dbURL.
func pgConfigFor(dbURL, password string) map[string]any {
	u, _ := url.Parse(dbURL)
	port, _ := strconv.Atoi(u.Port())
	return map[string]any{"host": u.Hostname(), "port": port, "database": strings.TrimPrefix(u.Path, "/"), "user": u.User.Username(), "password": password, "sslmode": "disable"}
}

// database0 is an owner connection to the server's database (outside row-level security).
func database0(t *testing.T, s *testServer) *pgxpool.Pool {
	t.Helper()
	return testutil.OwnerPool(t, s.pool)
}

// openConfig opens a connection's sealed config from the database with the test key.
func openConfig(t *testing.T, s *testServer, id, orgID int64) string {
	t.Helper()
	var sealed []byte
	require.NoError(t, database0(t, s).QueryRow(context.Background(), "SELECT config_sealed FROM connections WHERE id = $1", id).Scan(&sealed))
	kr, err := secrets.NewKeyring([]secrets.Key{{ID: "test", Key: bytes.Repeat([]byte{7}, 32)}})
	require.NoError(t, err)
	plain, err := kr.Open(sealed, []byte(fmt.Sprintf("org:%d/connection", orgID)))
	require.NoError(t, err)
	return string(plain)
}

func TestConnections_CreateMasksSecretsAndSealsTheConfig(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	types := decode[api.ConnectionTypeList](t, s.call(t, http.MethodGet, "/api/v1/connection-types", f.viewer.AccessToken, nil), http.StatusOK)
	var names []string
	for _, ty := range types.Items {
		names = append(names, ty.Name)
	}
	var offered []string
	for _, ty := range standard.Registry().Offered() {
		offered = append(offered, ty.Name)
	}
	require.Equal(t, offered, names, "the registry's available types, and only those, are offered")

	c := decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", f.editor.AccessToken,
		map[string]any{"name": "  Warehouse DB ", "type": "postgres", "config": localPostgres("hunter2-secret")}), http.StatusCreated)
	require.Equal(t, "Warehouse DB", c.Name)
	require.Equal(t, api.ConnectionDirection("both"), c.Direction)
	require.Equal(t, "********", c.Config["password"])
	require.Nil(t, c.LastTest)

	// At rest: sealed, never the plaintext, and it opens to the real config.
	var sealed []byte
	require.NoError(t, database0(t, s).QueryRow(context.Background(), "SELECT config_sealed FROM connections WHERE id = $1", c.Id).Scan(&sealed))
	require.False(t, bytes.Contains(sealed, []byte("hunter2-secret")))
	kr, err := secrets.NewKeyring([]secrets.Key{{ID: "test", Key: bytes.Repeat([]byte{7}, 32)}})
	require.NoError(t, err)
	plain, err := kr.Open(sealed, []byte(fmt.Sprintf("org:%d/connection", f.orgID)))
	require.NoError(t, err)
	require.Contains(t, string(plain), "hunter2-secret")

	for _, path := range []string{"/api/v1/connections", fmt.Sprintf("/api/v1/connections/%d", c.Id), "/api/v1/audit-logs?limit=500"} {
		rec := s.call(t, http.MethodGet, path, f.owner.AccessToken, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		require.NotContains(t, rec.Body.String(), "hunter2-secret", path)
	}
}

func TestConnections_BadInputAnswers422Or409AndStoresNothing(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	good := localPostgres("pw")
	noHost := localPostgres("pw")
	delete(noHost, "host")
	wrongType := localPostgres("pw")
	wrongType["port"] = "five"
	cases := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "x", "type": "oracle", "config": good}, "type"},
		{map[string]any{"name": "x", "type": "snowflake", "config": good}, "type"},
		{map[string]any{"name": "x", "type": "postgres", "config": noHost}, "config.host"},
		{map[string]any{"name": "x", "type": "postgres", "config": wrongType}, "config.port"},
		{map[string]any{"name": "   ", "type": "postgres", "config": good}, "name"},
		{map[string]any{"name": "x", "type": "postgres"}, "config"},
		// What only opening the connector finds (two resources of one name) is a 422 too.
		{map[string]any{"name": "x", "type": "rest_api", "config": map[string]any{"base_url": "https://api.example.com",
			"resources": []any{map[string]any{"name": "orders", "path": "/a"}, map[string]any{"name": "Orders", "path": "/b"}}}}, "config.resources[1].name"},
	}
	for _, tc := range cases {
		p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/connections", f.owner.AccessToken, tc.body), http.StatusUnprocessableEntity)
		require.Contains(t, fieldsOf(p), tc.field, "%v", tc.body)
	}
	decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", f.owner.AccessToken, map[string]any{"name": "Orders", "type": "postgres", "config": good}), http.StatusCreated)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/connections", f.owner.AccessToken, map[string]any{"name": "ORDERS", "type": "postgres", "config": good}), http.StatusConflict)
	list := decode[api.ConnectionList](t, s.call(t, http.MethodGet, "/api/v1/connections", f.owner.AccessToken, nil), http.StatusOK)
	require.Len(t, list.Items, 1)
}

func TestConnections_PatchKeepsMaskedSecretsButNotForANewHost(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	c := decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", f.owner.AccessToken,
		map[string]any{"name": "pg", "type": "postgres", "config": localPostgres("original-secret")}), http.StatusCreated)
	path := fmt.Sprintf("/api/v1/connections/%d", c.Id)

	masked := localPostgres("********")
	masked["schema"] = "public"
	updated := decode[api.Connection](t, s.call(t, http.MethodPatch, path, f.editor.AccessToken, map[string]any{"name": "pg2", "config": masked}), http.StatusOK)
	require.Equal(t, "pg2", updated.Name)
	require.Equal(t, "********", updated.Config["password"])
	require.Contains(t, openConfig(t, s, c.Id, f.orgID), "original-secret")

	// Pointing it elsewhere with the mask is refused, naming the secret to type again.
	before := openConfig(t, s, c.Id, f.orgID)
	moved := localPostgres("********")
	moved["host"] = "db.example.com"
	p := decodeProblem(t, s.call(t, http.MethodPatch, path, f.editor.AccessToken, map[string]any{"name": "pg3", "config": moved}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "config.password")
	require.Equal(t, before, openConfig(t, s, c.Id, f.orgID), "nothing is stored")

	// Typed again, the new host is accepted.
	moved["password"] = "new-secret"
	updated = decode[api.Connection](t, s.call(t, http.MethodPatch, path, f.editor.AccessToken, map[string]any{"config": moved}), http.StatusOK)
	require.Equal(t, "db.example.com", updated.Config["host"])
	require.Contains(t, openConfig(t, s, c.Id, f.orgID), "new-secret")
}

// The attack of issue #14: an editor who sees only ******** points a REST connection's base
// URL (or token URL) at a host of their own and presses Test. The PATCH is refused with the
// nested secrets named, the connection keeps its old target, and Test never reaches the
// editor's host.
func TestConnections_NestedSecretsDoNotFollowANewBaseURL(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	var hits atomic.Int64
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(attacker.Close)

	// The SPA learns the targets from the type's schema, served as it is.
	types := decode[api.ConnectionTypeList](t, s.call(t, http.MethodGet, "/api/v1/connection-types", f.viewer.AccessToken, nil), http.StatusOK)
	var marked bool
	for _, ty := range types.Items {
		if ty.Name == "rest_api" {
			baseURL := ty.ConfigSchema["properties"].(map[string]any)["base_url"].(map[string]any)
			marked = baseURL["x-target"] == true
		}
	}
	require.True(t, marked, "rest_api's base_url is marked x-target")

	cfg := map[string]any{
		"base_url":  "https://api.example.com/v1",
		"headers":   map[string]any{"X-Api-Key": "header-secret-value"},
		"auth":      map[string]any{"type": "bearer", "token": "bearer-secret-value"},
		"resources": []any{map[string]any{"name": "orders", "path": "/orders"}},
	}
	c := decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", f.editor.AccessToken,
		map[string]any{"name": "api", "type": "rest_api", "config": cfg}), http.StatusCreated)
	path := fmt.Sprintf("/api/v1/connections/%d", c.Id)
	before := openConfig(t, s, c.Id, f.orgID)

	cases := []struct {
		name  string
		patch func(m map[string]any)
	}{
		{"base_url", func(m map[string]any) { m["base_url"] = attacker.URL }},
		{"auth.token_url", func(m map[string]any) {
			m["auth"].(map[string]any)["token_url"] = attacker.URL + "/token"
		}},
	}
	for _, tc := range cases {
		patch := c.Config // as the API showed it: secrets masked
		raw, err := json.Marshal(patch)
		require.NoError(t, err)
		var edited map[string]any
		require.NoError(t, json.Unmarshal(raw, &edited))
		tc.patch(edited)
		p := decodeProblem(t, s.call(t, http.MethodPatch, path, f.editor.AccessToken, map[string]any{"config": edited}), http.StatusUnprocessableEntity)
		fields := fieldsOf(p)
		require.Contains(t, fields, "config.auth.token", tc.name)
		require.Contains(t, fields, "config.headers.X-Api-Key", tc.name)
		require.Equal(t, before, openConfig(t, s, c.Id, f.orgID), "%s: nothing is stored", tc.name)
		require.NotContains(t, fmt.Sprint(p), "secret-value")
	}
	_ = s.call(t, http.MethodPost, path+"/test", f.editor.AccessToken, nil)
	require.Zero(t, hits.Load(), "the editor's host never heard from us")
}

func TestConnections_TestQueryAndCatalogAgainstARealDatabase(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	owner, dbURL := testutil.NewDatabase(t)
	_, err := owner.Exec(context.Background(), `CREATE TABLE public."Order Lines" (id int PRIMARY KEY, amount numeric(10,2) NOT NULL, note text);
		INSERT INTO public."Order Lines" SELECT g, g * 1.5, 'n' FROM generate_series(1, 30) g`)
	require.NoError(t, err)
	c := decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", f.owner.AccessToken,
		map[string]any{"name": "source", "type": "postgres", "config": pgConfigFor(dbURL, "unused-secret")}), http.StatusCreated)
	base := fmt.Sprintf("/api/v1/connections/%d", c.Id)

	res := decode[api.ConnectionTestResult](t, s.call(t, http.MethodPost, base+"/test", f.viewer.AccessToken, nil), http.StatusOK)
	require.True(t, res.Ok, res.Message)
	got := decode[api.Connection](t, s.call(t, http.MethodGet, base, f.viewer.AccessToken, nil), http.StatusOK)
	require.NotNil(t, got.LastTest)
	require.True(t, got.LastTest.Ok)

	cat := decode[api.Catalog](t, s.call(t, http.MethodGet, base+"/catalog?refresh=true", f.viewer.AccessToken, nil), http.StatusOK)
	var table *api.CatalogTable
	for _, sc := range cat.Schemas {
		for i, tb := range sc.Tables {
			if sc.Name == "public" && tb.Name == "Order Lines" {
				table = &sc.Tables[i]
			}
		}
	}
	require.NotNil(t, table, "%+v", cat)
	require.Equal(t, api.CatalogColumn{Name: "id", Type: "integer", Nullable: false, PrimaryKey: true}, table.Columns[0])
	cached := decode[api.Catalog](t, s.call(t, http.MethodGet, base+"/catalog", f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, cat.Schemas, cached.Schemas)

	q := decode[api.QueryResult](t, s.call(t, http.MethodPost, base+"/query", f.editor.AccessToken, map[string]any{"sql": `SELECT id, amount FROM "Order Lines" ORDER BY id`, "limit": 10}), http.StatusOK)
	require.Equal(t, []string{"id", "amount"}, q.Columns)
	require.Len(t, q.Rows, 10)
	require.True(t, q.Truncated)
	require.Equal(t, "1.50", q.Rows[0][1], "numerics keep their scale")

	p := decodeProblem(t, s.call(t, http.MethodPost, base+"/query", f.editor.AccessToken, map[string]any{"sql": `DELETE FROM "Order Lines"`}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p)["sql"], "read-only")
	var n int
	require.NoError(t, owner.QueryRow(context.Background(), `SELECT count(*) FROM "Order Lines"`).Scan(&n))
	require.Equal(t, 30, n)
	decodeProblem(t, s.call(t, http.MethodPost, base+"/query", f.viewer.AccessToken, map[string]any{"sql": "SELECT 1"}), http.StatusForbidden)

	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, base, f.admin.AccessToken, nil).Code)
	decodeProblem(t, s.call(t, http.MethodGet, base, f.owner.AccessToken, nil), http.StatusNotFound)
}

func TestConnections_UnsavedTestOfAnUnreachableHostIsNotOKAndSecretFree(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	cfg := localPostgres("do-not-echo-this")
	cfg["port"] = 1
	res := decode[api.ConnectionTestResult](t, s.call(t, http.MethodPost, "/api/v1/connections/test", f.editor.AccessToken, map[string]any{"type": "postgres", "config": cfg}), http.StatusOK)
	require.False(t, res.Ok)
	require.NotEmpty(t, res.Message)
	require.NotContains(t, res.Message, "do-not-echo-this")
}

func TestConnections_AnUploadedFileBecomesAConnectionWithACatalog(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f, g := s.newOrg(t), s.newOrg(t)
	file := s.uploadFile(t, f)
	c := decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", f.owner.AccessToken,
		map[string]any{"name": "orders file", "type": "file", "config": map[string]any{"file_id": file.Id, "format": "csv"}}), http.StatusCreated)
	require.Equal(t, api.ConnectionDirection("source"), c.Direction)
	base := fmt.Sprintf("/api/v1/connections/%d", c.Id)
	res := decode[api.ConnectionTestResult](t, s.call(t, http.MethodPost, base+"/test", f.viewer.AccessToken, nil), http.StatusOK)
	require.True(t, res.Ok, res.Message)
	cat := decode[api.Catalog](t, s.call(t, http.MethodGet, base+"/catalog", f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, fmt.Sprintf("file_%d", file.Id), cat.Schemas[0].Tables[0].Name)
	require.Equal(t, "id", cat.Schemas[0].Tables[0].Columns[0].Name)
	decodeProblem(t, s.call(t, http.MethodPost, base+"/query", f.editor.AccessToken, map[string]any{"sql": "SELECT 1"}), http.StatusConflict)

	// Another org's file id resolves to nothing for this org.
	other := decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", g.owner.AccessToken,
		map[string]any{"name": "stolen file", "type": "file", "config": map[string]any{"file_id": file.Id, "format": "csv"}}), http.StatusCreated)
	res = decode[api.ConnectionTestResult](t, s.call(t, http.MethodPost, fmt.Sprintf("/api/v1/connections/%d/test", other.Id), g.owner.AccessToken, nil), http.StatusOK)
	require.False(t, res.Ok)
}

func TestConnections_DeleteIsRefusedWhilePipelinesOrTransformationsUseIt(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	ctx := context.Background()
	create := func(name string) api.Connection {
		return decode[api.Connection](t, s.call(t, http.MethodPost, "/api/v1/connections", f.editor.AccessToken,
			map[string]any{"name": name, "type": "postgres", "config": localPostgres("pw-for-delete-test")}), http.StatusCreated)
	}
	src, dst, spare := create("source"), create("warehouse"), create("spare")
	db := database0(t, s)
	var pipelineID, transformationID int64
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO pipelines (org_id, name, source_connection_id, destination_connection_id, destination_schema)
		VALUES ($1, 'orders sync', $2, $3, 'raw') RETURNING id`, f.orgID, src.Id, dst.Id).Scan(&pipelineID))
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO transformations (org_id, name, sql_body, destination_connection_id)
		VALUES ($1, 'stg_orders', 'select 1', $2) RETURNING id`, f.orgID, dst.Id).Scan(&transformationID))
	path := func(c api.Connection) string { return fmt.Sprintf("/api/v1/connections/%d", c.Id) }

	p := decodeProblem(t, s.call(t, http.MethodDelete, path(src), f.admin.AccessToken, nil), http.StatusConflict)
	require.Contains(t, *p.Detail, `pipeline "orders sync"`)
	p = decodeProblem(t, s.call(t, http.MethodDelete, path(dst), f.admin.AccessToken, nil), http.StatusConflict)
	require.Contains(t, *p.Detail, `pipeline "orders sync"`)
	require.Contains(t, *p.Detail, `transformation "stg_orders"`)
	// Refused means untouched: both are still there, and nothing was audited.
	decode[api.Connection](t, s.call(t, http.MethodGet, path(src), f.viewer.AccessToken, nil), http.StatusOK)
	decode[api.Connection](t, s.call(t, http.MethodGet, path(dst), f.viewer.AccessToken, nil), http.StatusOK)
	var audited int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'connection.delete'`, f.orgID).Scan(&audited))
	require.Zero(t, audited)

	// A connection nobody uses goes at once; soft-deleted users no longer hold theirs.
	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, path(spare), f.admin.AccessToken, nil).Code)
	_, err := db.Exec(ctx, `UPDATE pipelines SET deleted_at = now() WHERE id = $1`, pipelineID)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, path(src), f.admin.AccessToken, nil).Code)
	p = decodeProblem(t, s.call(t, http.MethodDelete, path(dst), f.admin.AccessToken, nil), http.StatusConflict)
	require.NotContains(t, *p.Detail, "pipeline")
	_, err = db.Exec(ctx, `UPDATE transformations SET deleted_at = now() WHERE id = $1`, transformationID)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, path(dst), f.admin.AccessToken, nil).Code)
}
