package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/connectors/s3/s3test"
	"github.com/datanika/datanika/internal/egress"
)

const (
	browseKeyID  = "AKIDBROWSE"
	browseSecret = "s3-secret-Qx81-never-shown"
	browseToken  = "rest-token-Zy27-never-shown"
)

func init() {
	requestBuilders["listConnectionObjects"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, objectsPath(s.s3Connection(t, f, newBucket(t), browseKeyID).Id, "*.csv", 0), nil}
	}
	requestBuilders["previewRestResource"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPost, restPreviewPath(s.restConnection(t, f, newShopAPI(t), browseToken).Id), map[string]any{"resource": "orders"}}
	}
	crossTenantTargets["listConnectionObjects"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, objectsPath(s.s3Connection(t, g, newBucket(t), browseKeyID).Id, "", 0), nil}
	}
	crossTenantTargets["previewRestResource"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, restPreviewPath(s.restConnection(t, g, newShopAPI(t), browseToken).Id), map[string]any{"resource": "orders"}}
	}
}

func objectsPath(id int64, glob string, limit int) string {
	q := url.Values{}
	if glob != "" {
		q.Set("glob", glob)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	p := fmt.Sprintf("/api/v1/connections/%d/objects", id)
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

func restPreviewPath(id int64) string { return fmt.Sprintf("/api/v1/connections/%d/rest-preview", id) }

// newBucket is an S3 server holding csv files under shop/ (and one elsewhere, one of another
// format) that wants the access key browseKeyID.
func newBucket(t *testing.T) *s3test.Server {
	t.Helper()
	srv := s3test.New(t, browseKeyID)
	for _, k := range []string{"shop/2024/01/orders.csv", "shop/2024/02/orders.csv", "shop/2024/02/notes.json", "shop/customers.csv", "other/x.csv"} {
		srv.Put(t, k, []byte("id\n1\n"))
	}
	return srv
}

func (s *testServer) s3Connection(t *testing.T, f orgFixture, srv *s3test.Server, keyID string) api.Connection {
	t.Helper()
	return s.connectionOf(t, f, "s3", map[string]any{"bucket": s3test.Bucket, "endpoint": srv.URL, "region": "us-east-1",
		"force_path_style": true, "prefix": "shop/", "format": "csv", "access_key_id": keyID, "secret_access_key": browseSecret})
}

// newShopAPI is a REST API of orders, three a page by page number, wanting browseToken.
func newShopAPI(t *testing.T) *httptest.Server {
	t.Helper()
	orders := make([]map[string]any, 7)
	for i := range orders {
		orders[i] = map[string]any{"id": i + 1, "total": json.Number(fmt.Sprintf("%d.50", 10*(i+1))), "placed_at": fmt.Sprintf("2024-03-0%dT08:00:00Z", i+1),
			"customer": map[string]any{"name": fmt.Sprintf("c%d", i%2)}, "items": []any{map[string]any{"sku": "a"}}}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+browseToken {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error": "bad token"}`))
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		first, end := min((page-1)*3, len(orders)), min(page*3, len(orders))
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/orders":
			_ = json.NewEncoder(w).Encode(map[string]any{"results": orders[first:end]})
		case "/v2/orders":
			_ = json.NewEncoder(w).Encode(map[string]any{"data": orders[first:end]})
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (s *testServer) restConnection(t *testing.T, f orgFixture, srv *httptest.Server, token string) api.Connection {
	t.Helper()
	return s.connectionOf(t, f, "rest_api", map[string]any{"base_url": srv.URL, "auth": map[string]any{"type": "bearer", "token": token},
		"paginator": map[string]any{"type": "page_number"}, "retry": map[string]any{"max_attempts": 1},
		"resources": []any{map[string]any{"name": "orders", "path": "orders", "data_selector": "results", "primary_key": "id", "nested": "tables"}}})
}

func TestConnections_ObjectsAreWhatTheGlobPicks(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f, g := s.newOrg(t), s.newOrg(t)
	bucket := newBucket(t)
	c := s.s3Connection(t, f, bucket, browseKeyID)
	list := func(path, token string) api.ObjectList {
		t.Helper()
		rec := s.call(t, http.MethodGet, path, token, nil)
		require.NotContains(t, rec.Body.String(), browseSecret)
		return decode[api.ObjectList](t, rec, http.StatusOK)
	}
	keys := func(l api.ObjectList) []string {
		out := []string{}
		for _, o := range l.Objects {
			out = append(out, o.Key)
		}
		return out
	}

	// The glob applies after the prefix, to the connection's format; a viewer may look.
	got := list(objectsPath(c.Id, "2024/**/*.csv", 0), f.viewer.AccessToken)
	require.Equal(t, []string{"shop/2024/01/orders.csv", "shop/2024/02/orders.csv"}, keys(got))
	require.False(t, got.Truncated)
	require.Equal(t, int64(len("id\n1\n")), got.Objects[0].Size)
	require.NotEmpty(t, got.Objects[0].Etag)
	require.False(t, got.Objects[0].LastModified.IsZero())
	got = list(objectsPath(c.Id, "", 2), f.editor.AccessToken)
	require.Equal(t, []string{"shop/2024/01/orders.csv", "shop/2024/02/orders.csv"}, keys(got))
	require.True(t, got.Truncated, "shop/customers.csv matches too")
	got = list(objectsPath(c.Id, "*.csv", 0), f.viewer.AccessToken)
	require.Equal(t, []string{"shop/customers.csv"}, keys(got))
	got = list(objectsPath(c.Id, "2023/*.csv", 0), f.viewer.AccessToken)
	require.Empty(t, got.Objects)
	require.NotNil(t, got.Objects, "an empty list, not null")

	// A glob that does not compile, a connection that is not s3, a bad limit: 422.
	p := decodeProblem(t, s.call(t, http.MethodGet, objectsPath(c.Id, "2024/[ab", 0), f.viewer.AccessToken, nil), http.StatusUnprocessableEntity)
	require.Equal(t, api.ErrorCodeValidationFailed, *p.Code)
	require.Contains(t, fieldsOf(p)["glob"], "an unclosed [")
	pg := s.createConnection(t, f)
	decodeProblem(t, s.call(t, http.MethodGet, objectsPath(pg.Id, "*.csv", 0), f.viewer.AccessToken, nil), http.StatusUnprocessableEntity)
	p = decodeProblem(t, s.call(t, http.MethodGet, objectsPath(c.Id, "", 5000), f.viewer.AccessToken, nil), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "limit")

	// Unknown, and another org's: 404.
	decodeProblem(t, s.call(t, http.MethodGet, objectsPath(c.Id+1000, "", 0), f.viewer.AccessToken, nil), http.StatusNotFound)
	decodeProblem(t, s.call(t, http.MethodGet, objectsPath(c.Id, "", 0), g.owner.AccessToken, nil), http.StatusNotFound)

	// A bucket that refuses the credentials: 409 with S3's reason, never the secret.
	refused := s.s3Connection(t, f, bucket, "AKIDOTHER")
	rec := s.call(t, http.MethodGet, objectsPath(refused.Id, "", 0), f.viewer.AccessToken, nil)
	require.NotContains(t, rec.Body.String(), browseSecret)
	p = decodeProblem(t, rec, http.StatusConflict)
	require.Contains(t, *p.Detail, "InvalidAccessKeyId")
}

// Listing dials through the egress policy: a server that refuses private addresses does not
// reach the bucket on loopback, nor the API.
func TestConnections_BrowsingDialsThroughTheEgressPolicy(t *testing.T) {
	t.Parallel()
	bucket := newBucket(t)
	shop := newShopAPI(t)
	strict, err := egress.New(false, "")
	require.NoError(t, err)
	closed := setup(t, func(d *Deps) { d.Egress = strict })
	g := closed.newOrg(t)
	c := closed.s3Connection(t, g, bucket, browseKeyID)
	r := closed.restConnection(t, g, shop, browseToken)
	before := bucket.Requests()
	p := decodeProblem(t, closed.call(t, http.MethodGet, objectsPath(c.Id, "", 0), g.viewer.AccessToken, nil), http.StatusConflict)
	require.Contains(t, *p.Detail, "egress")
	require.Equal(t, before, bucket.Requests(), "no request reached the bucket")
	p = decodeProblem(t, closed.call(t, http.MethodPost, restPreviewPath(r.Id), g.viewer.AccessToken, map[string]any{"resource": "orders"}), http.StatusConflict)
	require.Contains(t, *p.Detail, "egress")
}

func TestConnections_RESTPreviewIsTheFirstPageAsItLoads(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f, g := s.newOrg(t), s.newOrg(t)
	shop := newShopAPI(t)
	c := s.restConnection(t, f, shop, browseToken)
	preview := func(token string, body map[string]any) api.RestPreview {
		t.Helper()
		rec := s.call(t, http.MethodPost, restPreviewPath(c.Id), token, body)
		require.NotContains(t, rec.Body.String(), browseToken)
		return decode[api.RestPreview](t, rec, http.StatusOK)
	}

	// The first page only (three orders of seven), flattened as the load flattens it.
	got := preview(f.viewer.AccessToken, map[string]any{"resource": "orders"})
	require.Equal(t, "orders", got.Table)
	require.Equal(t, []string{"orders__items"}, got.ChildTables)
	require.False(t, got.Truncated)
	require.Equal(t, []api.RestPreviewColumn{
		{Name: "id", Type: "int64", PrimaryKey: true},
		{Name: "customer__name", Type: "text"},
		{Name: "placed_at", Type: "timestamptz"},
		{Name: "total", Type: "decimal"},
		{Name: "_dnk_id", Type: "text"},
	}, got.Columns)
	require.Len(t, got.Rows, 3)
	require.Equal(t, []any{float64(1), "c0", "2024-03-01T08:00:00Z", "10.50"}, got.Rows[0][:4])

	// The wizard's unsaved config: its filters and naming apply; a limit truncates.
	got = preview(f.editor.AccessToken, map[string]any{"resource": "orders", "limit": 1,
		"config": map[string]any{"table_names": []any{"api.orders"}, "filters": []any{map[string]any{"column": "id", "op": "gte", "value": 2}}}})
	require.True(t, got.Truncated)
	require.Len(t, got.Rows, 1)
	require.Equal(t, float64(2), got.Rows[0][0])

	// An unsaved resource config replaces the stored one for this preview alone.
	got = preview(f.editor.AccessToken, map[string]any{"resource": "orders",
		"resource_config": map[string]any{"name": "orders", "path": "v2/orders", "data_selector": "data"}})
	require.Empty(t, got.ChildTables, "nested json by default")
	require.Contains(t, got.Columns, api.RestPreviewColumn{Name: "items", Type: "json"})
	stored := decode[api.Connection](t, s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/connections/%d", c.Id), f.viewer.AccessToken, nil), http.StatusOK)
	require.Equal(t, "orders", stored.Config["resources"].([]any)[0].(map[string]any)["path"], "nothing is stored")

	// Only who may change the connection may choose its requests: a viewer previews the stored
	// resources alone.
	p := decodeProblem(t, s.call(t, http.MethodPost, restPreviewPath(c.Id), f.viewer.AccessToken, map[string]any{"resource": "orders",
		"resource_config": map[string]any{"name": "orders", "path": "v2/orders"}}), http.StatusForbidden)
	require.Equal(t, api.ErrorCodeForbidden, *p.Code)

	// A resource not stored yet is added for the preview.
	got = preview(f.editor.AccessToken, map[string]any{"resource": "orders_v2",
		"resource_config": map[string]any{"name": "orders_v2", "path": "v2/orders", "data_selector": "data", "primary_key": "id"}})
	require.Equal(t, "orders_v2", got.Table)
	require.Len(t, got.Rows, 3)

	// 422: an unknown resource, an invalid resource or pipeline config, a connection that is
	// not a REST API.
	p = decodeProblem(t, s.call(t, http.MethodPost, restPreviewPath(c.Id), f.editor.AccessToken,
		map[string]any{"resource": "orders", "resource_config": map[string]any{"name": "refunds", "path": "refunds"}}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "resource_config.name")
	p = decodeProblem(t, s.call(t, http.MethodPost, restPreviewPath(c.Id), f.viewer.AccessToken, map[string]any{"resource": "refunds"}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "resource")
	p = decodeProblem(t, s.call(t, http.MethodPost, restPreviewPath(c.Id), f.editor.AccessToken,
		map[string]any{"resource": "orders", "resource_config": map[string]any{"name": "orders", "path": 5}}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "resource_config.path")
	p = decodeProblem(t, s.call(t, http.MethodPost, restPreviewPath(c.Id), f.viewer.AccessToken,
		map[string]any{"resource": "orders", "config": map[string]any{"write_disposition": "upsert"}}), http.StatusUnprocessableEntity)
	require.Contains(t, fieldsOf(p), "config.write_disposition")
	pg := s.createConnection(t, f)
	decodeProblem(t, s.call(t, http.MethodPost, restPreviewPath(pg.Id), f.viewer.AccessToken, map[string]any{"resource": "orders"}), http.StatusUnprocessableEntity)

	// 404: unknown, another org's.
	decodeProblem(t, s.call(t, http.MethodPost, restPreviewPath(c.Id+1000), f.viewer.AccessToken, map[string]any{"resource": "orders"}), http.StatusNotFound)
	decodeProblem(t, s.call(t, http.MethodPost, restPreviewPath(c.Id), g.owner.AccessToken, map[string]any{"resource": "orders"}), http.StatusNotFound)

	// The API refusing the token: 409 with its answer, never the token.
	wrong := s.restConnection(t, f, shop, "rest-token-wrong-Kq3")
	rec := s.call(t, http.MethodPost, restPreviewPath(wrong.Id), f.viewer.AccessToken, map[string]any{"resource": "orders"})
	require.NotContains(t, rec.Body.String(), "rest-token-wrong-Kq3")
	p = decodeProblem(t, rec, http.StatusConflict)
	require.Contains(t, *p.Detail, "401")
}
