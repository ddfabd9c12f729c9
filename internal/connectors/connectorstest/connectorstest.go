// Package connectorstest holds what the tests of every connector package share: assertions on
// config validation against a type's schema, and the hostile inputs every schema must refuse.
package connectorstest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

// Registry returns a registry holding the given types, failing the test if one does not
// register (a bad schema, say).
func Registry(t testing.TB, types ...connectors.Type) *connectors.Registry {
	t.Helper()
	r := connectors.NewRegistry()
	for _, typ := range types {
		require.NoError(t, r.Register(typ))
	}
	return r
}

// RequireValid asserts that config passes the type's schema.
func RequireValid(t testing.TB, typ connectors.Type, config map[string]any) {
	t.Helper()
	fields := Registry(t, typ).Validate(typ.Name, config)
	require.Empty(t, fields, "config should be valid: %v", config)
}

// RequireInvalid asserts that config fails the type's schema on field (a path such as
// "config.port"), and that no message repeats a value of the config.
func RequireInvalid(t testing.TB, typ connectors.Type, config map[string]any, field string) {
	t.Helper()
	fields := Registry(t, typ).Validate(typ.Name, config)
	var paths []string
	for _, f := range fields {
		paths = append(paths, f.Field)
		for _, v := range config {
			if s, ok := v.(string); ok && len(s) >= 10 {
				require.NotContains(t, f.Message, s, "a validation message must not echo a value")
			}
		}
	}
	require.Contains(t, paths, field, "want an error on %s, got %v", field, fields)
}

// With returns a copy of base with key set to value (or removed when value is Remove).
func With(base map[string]any, key string, value any) map[string]any {
	out := make(map[string]any, len(base)+1)
	for k, v := range base {
		out[k] = v
	}
	if value == Remove {
		delete(out, key)
	} else {
		out[key] = value
	}
	return out
}

// Remove is the value that makes With delete the key.
var Remove = &struct{ remove bool }{true}

// HostileHosts are host values every schema must refuse: URLs, paths, option injection,
// whitespace and control characters.
var HostileHosts = []string{
	"",
	"http://example.com",
	"example.com/db",
	"-oProxyCommand=sh",
	"host name",
	"example.com\nX-Injected: 1",
	"user@example.com",
	"example.com;rm -rf /",
	"example.com?sslmode=disable",
}

// RequireNotOffered asserts that a type registers (its schema compiles and masking can read
// it) yet is not available, so the API does not offer it.
func RequireNotOffered(t testing.TB, typ connectors.Type) {
	t.Helper()
	r := Registry(t, typ)
	require.False(t, typ.Available(), "%s has no implementation and must not claim one", typ.Name)
	require.Empty(t, r.Offered())
	_, err := r.Open(typ.Name, map[string]any{}, connectors.Env{})
	require.ErrorIs(t, err, connectors.ErrUnavailable)
}

// RequireMasked asserts that Mask hides exactly the given top-level or nested secrets (each a
// path of keys) of config, and that Merge of the masked config restores them.
func RequireMasked(t testing.TB, typ connectors.Type, config map[string]any, secrets ...[]string) {
	t.Helper()
	r := Registry(t, typ)
	masked := r.Mask(typ.Name, config)
	for _, path := range secrets {
		require.Equal(t, connectors.Masked, lookup(masked, path), "%v must be masked", path)
	}
	merged, err := r.Merge(typ.Name, config, masked)
	require.NoError(t, err)
	require.Equal(t, config, merged, "merging the masked config back restores every secret")
	require.Len(t, r.Secrets(typ.Name, config), len(secrets))
}

func lookup(v any, path []string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
