package restapi

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func valid() map[string]any {
	return map[string]any{
		"base_url": "https://api.example.com/v1",
		"headers":  map[string]any{"X-Tenant": "acme"},
		"auth":     map[string]any{"type": "bearer", "token": "tok"},
		"resources": []any{map[string]any{
			"name": "orders", "path": "/orders", "params": map[string]any{"status": "open", "limit": 100},
			"data_selector": "data.items", "primary_key": []any{"id"},
			"incremental": map[string]any{"cursor_path": "updated_at", "param": "since", "initial_value": "2024-01-01"},
		}},
		"paginator":  map[string]any{"type": "cursor", "cursor_path": "meta.next", "cursor_param": "cursor"},
		"rate_limit": map[string]any{"requests_per_second": 5},
		"retry":      map[string]any{"max_attempts": 5, "backoff_seconds": 1.5},
		"max_pages":  1000,
	}
}

func resource(fields map[string]any) []any {
	r := map[string]any{"name": "orders", "path": "/orders"}
	for k, v := range fields {
		r[k] = v
	}
	return []any{r}
}

func TestRESTAPI_IsOfferedAndOpens(t *testing.T) {
	t.Parallel()
	typ := Type()
	require.True(t, typ.Available())
	r := connectorstest.Registry(t, typ)
	require.Len(t, r.Offered(), 1)
	c, err := r.Open("rest_api", valid(), connectors.Env{})
	require.NoError(t, err)
	_, ok := c.(connectors.Cataloger)
	require.True(t, ok, "a REST API has a catalog")

	_, err = r.Open("rest_api", map[string]any{"base_url": "https://x"}, connectors.Env{})
	var verr *connectors.ValidationError
	require.ErrorAs(t, err, &verr)
}

func TestRESTAPIConfig_AcceptsEveryPaginatorAndAuth(t *testing.T) {
	t.Parallel()
	typ := Type()
	for _, p := range []map[string]any{
		{"type": "auto"}, {"type": "single_page"}, {"type": "json_link", "next_url_path": "links.next"},
		{"type": "header_link"}, {"type": "offset", "limit": 50, "limit_param": "per", "offset_param": "skip", "total_path": "total"},
		{"type": "page_number", "page_param": "p", "start_page": 0, "total_path": "pages"},
		{"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "after"},
	} {
		connectorstest.RequireValid(t, typ, connectorstest.With(valid(), "paginator", p))
	}
	for _, a := range []map[string]any{
		{"type": "none"}, {"type": "basic", "username": "u", "password": "p"},
		{"type": "api_key", "name": "X-Key", "value": "v"}, {"type": "api_key", "name": "key", "value": "v", "in": "query"},
		{"type": "oauth2_client_credentials", "token_url": "https://id.example.com/token", "client_id": "i", "client_secret": "s", "scopes": []any{"a"}},
	} {
		connectorstest.RequireValid(t, typ, connectorstest.With(valid(), "auth", a))
	}
	for _, path := range []string{"/", "orders", "/v2/orders?x=1", "v1/a:b", "orders/{id}", "/x:y"} {
		connectorstest.RequireValid(t, typ, connectorstest.With(valid(), "resources", resource(map[string]any{"path": path})))
	}
	minimal := map[string]any{"base_url": "http://localhost:8080", "resources": resource(nil)}
	connectorstest.RequireValid(t, typ, minimal)
	connectorstest.RequireValid(t, typ, connectorstest.With(valid(), "base_url", "https://[::1]:8443/api/"))
}

func TestRESTAPIConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	for _, bad := range []string{"ftp://x", "https://x/\nHost: y", "https://user:pw@x/", "api.example.com", "https://", "https://x/#frag",
		"javascript:alert(1)", "https://x y/"} {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "base_url", bad), "config.base_url")
	}
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "base_url", connectorstest.Remove), "config.base_url")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "resources", []any{}), "config.resources")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "resources", connectorstest.Remove), "config.resources")
	for _, name := range []string{"bad name; drop", "", "1st", "a-b", `x"y`, "ünï", "a.b"} {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "resources", resource(map[string]any{"name": name})),
			"config.resources[0].name")
	}
	for _, path := range []string{"https://evil.example/x", "//evil.example/x", "http:x", "/a b", "/x\n", "/x#frag", ""} {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "resources", resource(map[string]any{"path": path})),
			"config.resources[0].path")
	}
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "resources",
		resource(map[string]any{"params": map[string]any{"x": map[string]any{}}})), "config.resources[0].params.x")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "resources",
		resource(map[string]any{"incremental": map[string]any{"cursor_path": "u"}})), "config.resources[0].incremental.param")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "auth", map[string]any{"type": "basic", "username": "u"}), "config.auth.password")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "auth", map[string]any{"type": "bearer"}), "config.auth.token")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "auth", map[string]any{"type": "api_key", "value": "v"}), "config.auth.name")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "auth", map[string]any{"type": "api_key", "name": "a b", "value": "v"}), "config.auth.name")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "auth",
		map[string]any{"type": "oauth2_client_credentials", "client_id": "i", "client_secret": "s"}), "config.auth.token_url")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "auth", map[string]any{"type": "kerberos"}), "config.auth.type")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "auth", map[string]any{"type": "bearer", "token": "a\r\nX: y"}), "config.auth.token")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "headers", map[string]any{"Bad Header": "x"}), "config.headers.Bad Header")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "headers", map[string]any{"X-Ok": "a\nb"}), "config.headers.X-Ok")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "paginator", map[string]any{"type": "scroll"}), "config.paginator.type")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "paginator", map[string]any{"type": "cursor"}), "config.paginator.cursor_path")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "paginator", map[string]any{"type": "offset", "limit": 0}), "config.paginator.limit")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "rate_limit", map[string]any{"requests_per_second": 0}), "config.rate_limit.requests_per_second")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "retry", map[string]any{"max_attempts": 0}), "config.retry.max_attempts")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "max_pages", 0), "config.max_pages")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "extra", 1), "config.extra")
}

func TestRESTAPIConfig_DuplicateResourceNamesAreRefusedOnOpen(t *testing.T) {
	t.Parallel()
	cfg := connectorstest.With(valid(), "resources", []any{
		map[string]any{"name": "orders", "path": "/a"}, map[string]any{"name": "Orders", "path": "/b"}})
	_, err := connectorstest.Registry(t, Type()).Open("rest_api", cfg, connectors.Env{})
	var aerr *apperr.Error
	require.True(t, errors.As(err, &aerr), "%v", err)
	require.Equal(t, "config.resources[1].name", aerr.Fields[0].Field)
}

func TestRESTAPIConfig_MasksAuthSecretsAndHeaderValues(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), valid(), []string{"auth", "token"}, []string{"headers", "X-Tenant"})
	oauth := connectorstest.With(valid(), "auth", map[string]any{"type": "oauth2_client_credentials",
		"token_url": "https://auth.example.com/token", "client_id": "id", "client_secret": "cs"})
	connectorstest.RequireValid(t, Type(), oauth)
	connectorstest.RequireMasked(t, Type(), oauth, []string{"auth", "client_secret"}, []string{"headers", "X-Tenant"})
	apiKey := connectorstest.With(valid(), "auth", map[string]any{"type": "api_key", "name": "api_key", "value": "k", "in": "query"})
	connectorstest.RequireMasked(t, Type(), apiKey, []string{"auth", "value"}, []string{"headers", "X-Tenant"})
	basic := connectorstest.With(valid(), "auth", map[string]any{"type": "basic", "username": "ann", "password": "pw"})
	connectorstest.RequireMasked(t, Type(), basic, []string{"auth", "password"}, []string{"headers", "X-Tenant"})
}

func TestRESTAPIConfig_MaskedConfigStillOpensAfterMerge(t *testing.T) {
	t.Parallel()
	r := connectorstest.Registry(t, Type())
	stored := valid()
	masked := r.Mask("rest_api", stored)
	require.Equal(t, connectors.Masked, masked["auth"].(map[string]any)["token"])
	// The user edits the page cap and sends the rest back masked.
	masked["max_pages"] = 7
	merged, err := r.Merge("rest_api", stored, masked)
	require.NoError(t, err)
	c, err := r.Open("rest_api", merged, connectors.Env{})
	require.NoError(t, err)
	rc := c.(*Connector)
	require.Equal(t, "tok", rc.cfg.Auth.Token)
	require.Equal(t, "acme", rc.cfg.Headers["X-Tenant"])

	// A new base URL takes none of them: each must be typed again.
	masked["base_url"] = "https://api2.example.com/v1"
	_, err = r.Merge("rest_api", stored, masked)
	var verr *connectors.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Equal(t, []string{"config.auth.token", "config.headers.X-Tenant"}, []string{verr.Fields[0].Field, verr.Fields[1].Field})

	// A masked secret with nothing stored behind it is dropped, and validation says so.
	fresh, err := r.Merge("rest_api", nil, masked)
	require.NoError(t, err)
	_, err = r.Open("rest_api", fresh, connectors.Env{})
	require.ErrorAs(t, err, &verr)
	require.Equal(t, "config.auth.token", verr.Fields[0].Field)
}

func TestRESTAPIConfig_DefaultsApply(t *testing.T) {
	t.Parallel()
	c, err := New(map[string]any{"base_url": "https://x.example", "resources": resource(nil)}, connectors.Env{})
	require.NoError(t, err)
	require.Equal(t, defaults().Paginator, c.cfg.Paginator)
	require.Equal(t, Retry{MaxAttempts: 5, BackoffSeconds: 1}, c.cfg.Retry)
	require.Equal(t, AuthNone, c.cfg.Auth.Type)
	require.Nil(t, c.limiter)

	_, err = New(map[string]any{"base_url": "https://x.example", "resources": []any{}}, connectors.Env{})
	require.Error(t, err)
}
