package restapi

import (
	"testing"

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

func TestRESTAPI_IsDescribedButNotOffered(t *testing.T) {
	t.Parallel()
	connectorstest.RequireNotOffered(t, Type())
}

func TestRESTAPIConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "base_url", "ftp://x"), "config.base_url")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "base_url", "https://x/\nHost: y"), "config.base_url")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "resources", []any{}), "config.resources")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "resources",
		[]any{map[string]any{"name": "bad name; drop", "path": "/x"}}), "config.resources[0].name")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "auth", map[string]any{"type": "basic", "username": "u"}), "config.auth.password")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "auth", map[string]any{"type": "kerberos"}), "config.auth.type")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "headers", map[string]any{"Bad Header": "x"}), "config.headers.Bad Header")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "paginator", map[string]any{"type": "scroll"}), "config.paginator.type")
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
}
