package connectors_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

// fakeSchema has secrets and targets at the top, inside a variant of a nested object, in a map
// of any keys (secrets) and inside array elements — every place masking and merging must find.
const fakeSchema = `{
  "type": "object",
  "additionalProperties": false,
  "required": ["host", "port"],
  "properties": {
    "host": {"type": "string", "minLength": 1, "x-target": true},
    "port": {"type": "integer", "minimum": 1, "maximum": 65535, "x-target": true},
    "password": {"type": "string", "x-secret": true},
    "mode": {"type": "string", "enum": ["a", "b"]},
    "auth": {
      "type": "object",
      "oneOf": [
        {"properties": {"type": {"const": "bearer"}, "token": {"type": "string", "x-secret": true}, "token_url": {"type": "string", "x-target": true}}, "required": ["type", "token"]},
        {"properties": {"type": {"const": "basic"}, "username": {"type": "string"}, "password": {"type": "string", "x-secret": true}}, "required": ["type", "username"]}
      ]
    },
    "headers": {"type": "object", "additionalProperties": {"type": "string", "x-secret": true}},
    "resources": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "url": {"type": "string", "x-target": true}, "key": {"type": "string", "x-secret": true}}}}
  }
}`

type fakeConnector struct{}

func (fakeConnector) Test(context.Context) connectors.Result { return connectors.Result{OK: true} }

func fakeType(name string, available bool) connectors.Type {
	t := connectors.Type{Name: name, Label: "Fake " + name, ConfigSchema: json.RawMessage(fakeSchema)}
	if available {
		t.Open = func(map[string]any, connectors.Env) (connectors.Connector, error) { return fakeConnector{}, nil }
	}
	return t
}

func setup(t *testing.T) *connectors.Registry {
	t.Helper()
	r := connectors.NewRegistry()
	require.NoError(t, r.Register(fakeType("fake", true)))
	require.NoError(t, r.Register(fakeType("planned", false)))
	return r
}

func fields(fe []connectors.FieldError) []string {
	var out []string
	for _, f := range fe {
		out = append(out, f.Field)
	}
	return out
}

func TestRegistry_OffersOnlyAvailableTypes(t *testing.T) {
	t.Parallel()
	r := setup(t)
	require.Len(t, r.Types(), 2)
	offered := r.Offered()
	require.Len(t, offered, 1)
	require.Equal(t, "fake", offered[0].Name)

	_, err := r.Open("planned", map[string]any{"host": "h", "port": 1}, connectors.Env{})
	require.ErrorIs(t, err, connectors.ErrUnavailable)
	_, err = r.Open("nope", map[string]any{}, connectors.Env{})
	require.ErrorIs(t, err, connectors.ErrUnknownType)
	c, err := r.Open("fake", map[string]any{"host": "h", "port": 1}, connectors.Env{})
	require.NoError(t, err)
	require.True(t, c.Test(context.Background()).OK)
}

func TestRegistry_RejectsBadRegistrations(t *testing.T) {
	t.Parallel()
	r := setup(t)
	require.Error(t, r.Register(fakeType("fake", true)), "duplicate")
	require.Error(t, r.Register(fakeType("Bad Name", true)))
	require.Error(t, r.Register(connectors.Type{Name: "nolabel", ConfigSchema: json.RawMessage(fakeSchema)}))
	require.Error(t, r.Register(connectors.Type{Name: "noschema", Label: "x"}))
	require.Error(t, r.Register(connectors.Type{Name: "notobject", Label: "x", ConfigSchema: json.RawMessage(`{"type":"string"}`)}))
	require.Error(t, r.Register(connectors.Type{Name: "badschema", Label: "x", ConfigSchema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"nosuch"}}}`)}))
	require.Error(t, r.Register(connectors.Type{Name: "withref", Label: "x",
		ConfigSchema: json.RawMessage(`{"type":"object","$defs":{"s":{"type":"string","x-secret":true}},"properties":{"a":{"$ref":"#/$defs/s"}}}`)}),
		"a $ref could hide a secret from masking")
}

func TestValidate_ReportsFieldPaths(t *testing.T) {
	t.Parallel()
	r := setup(t)
	valid := map[string]any{"host": "db", "port": 5432}
	require.Empty(t, r.Validate("fake", valid))

	cases := []struct {
		name   string
		config map[string]any
		want   string
	}{
		{"missing field", map[string]any{"port": 5432}, "config.host"},
		{"wrong type", map[string]any{"host": "db", "port": "5432"}, "config.port"},
		{"fractional port", map[string]any{"host": "db", "port": 54.5}, "config.port"},
		{"port out of range", map[string]any{"host": "db", "port": 70000}, "config.port"},
		{"port zero", map[string]any{"host": "db", "port": 0}, "config.port"},
		{"unknown field", map[string]any{"host": "db", "port": 1, "hostt": "x"}, "config.hostt"},
		{"bad enum", map[string]any{"host": "db", "port": 1, "mode": "c"}, "config.mode"},
		{"nested wrong type", map[string]any{"host": "db", "port": 1, "resources": []any{map[string]any{"name": 5}}}, "config.resources[0].name"},
		{"nested missing in variant", map[string]any{"host": "db", "port": 1, "auth": map[string]any{"type": "bearer"}}, "config.auth.token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Contains(t, fields(r.Validate("fake", tc.config)), tc.want)
		})
	}
}

func TestValidate_UnknownTypeIsReportedOnType(t *testing.T) {
	t.Parallel()
	r := setup(t)
	require.Equal(t, []connectors.FieldError{{Field: "type", Message: "unknown connection type"}},
		r.Validate("oracle", map[string]any{}))
}

func TestValidate_MessagesDoNotEchoValues(t *testing.T) {
	t.Parallel()
	r := setup(t)
	// A password pasted into the port field must not come back in the error.
	fe := r.Validate("fake", map[string]any{"host": "db", "port": "hunter2-secret", "mode": "hunter3-secret"})
	require.NotEmpty(t, fe)
	for _, f := range fe {
		require.NotContains(t, f.Message, "hunter")
	}
}

func TestOpen_RefusesInvalidConfigWithFieldErrors(t *testing.T) {
	t.Parallel()
	r := setup(t)
	_, err := r.Open("fake", map[string]any{"port": 1}, connectors.Env{})
	var verr *connectors.ValidationError
	require.True(t, errors.As(err, &verr))
	require.Equal(t, []string{"config.host"}, fields(verr.Fields))
}

func secretConfig() map[string]any {
	return map[string]any{
		"host":     "db",
		"port":     5432,
		"password": "pw-top",
		"auth":     map[string]any{"type": "basic", "username": "u", "password": "pw-nested"},
		"headers":  map[string]any{"Authorization": "Bearer tok-header"},
		"resources": []any{
			map[string]any{"name": "r0", "key": "key-0"},
			map[string]any{"name": "r1"},
		},
	}
}

func TestMask_HidesEverySecretNestedToo(t *testing.T) {
	t.Parallel()
	r := setup(t)
	cfg := secretConfig()
	masked := r.Mask("fake", cfg)
	require.Equal(t, map[string]any{
		"host":     "db",
		"port":     5432,
		"password": connectors.Masked,
		"auth":     map[string]any{"type": "basic", "username": "u", "password": connectors.Masked},
		"headers":  map[string]any{"Authorization": connectors.Masked},
		"resources": []any{
			map[string]any{"name": "r0", "key": connectors.Masked},
			map[string]any{"name": "r1"},
		},
	}, masked)
	require.Equal(t, "pw-top", cfg["password"], "the input is not modified")
	raw, err := json.Marshal(masked)
	require.NoError(t, err)
	for _, s := range []string{"pw-top", "pw-nested", "tok-header", "key-0"} {
		require.NotContains(t, string(raw), s)
	}
}

func TestMask_KeepsEmptySecretsEmpty(t *testing.T) {
	t.Parallel()
	r := setup(t)
	require.Equal(t, map[string]any{"host": "db", "password": ""},
		r.Mask("fake", map[string]any{"host": "db", "password": ""}))
}

func TestMask_UnknownTypeHidesEverything(t *testing.T) {
	t.Parallel()
	r := setup(t)
	masked := r.Mask("oracle", map[string]any{"host": "db", "nested": map[string]any{"pw": "x"}})
	require.Equal(t, map[string]any{"host": connectors.Masked, "nested": connectors.Masked}, masked)
}

func TestMerge_MaskedOrAbsentSecretKeepsStoredValue(t *testing.T) {
	t.Parallel()
	r := setup(t)
	stored := secretConfig()
	patch := r.Mask("fake", stored)
	patch["mode"] = "b"
	delete(patch, "password") // absent
	merged, err := r.Merge("fake", stored, patch)
	require.NoError(t, err)
	require.Equal(t, "b", merged["mode"])
	require.Equal(t, "pw-top", merged["password"])
	require.Equal(t, "pw-nested", merged["auth"].(map[string]any)["password"])
	require.Equal(t, "Bearer tok-header", merged["headers"].(map[string]any)["Authorization"])
	require.Equal(t, "key-0", merged["resources"].([]any)[0].(map[string]any)["key"])
}

func TestMerge_NewSecretReplacesAndEmptyClears(t *testing.T) {
	t.Parallel()
	r := setup(t)
	stored := secretConfig()
	merged, err := r.Merge("fake", stored, map[string]any{"host": "db", "port": 5432, "password": "new",
		"auth": map[string]any{"type": "basic", "username": "u", "password": ""}})
	require.NoError(t, err)
	require.Equal(t, "new", merged["password"])
	require.Equal(t, "", merged["auth"].(map[string]any)["password"])
	require.NotContains(t, merged, "headers", "non-secret fields come from the patch only")
}

func TestMerge_MaskWithNothingStoredIsDropped(t *testing.T) {
	t.Parallel()
	r := setup(t)
	merged, err := r.Merge("fake", map[string]any{"host": "db"}, map[string]any{"host": "db", "password": connectors.Masked})
	require.NoError(t, err)
	require.NotContains(t, merged, "password", "the mask must never be stored as a password")
}

func TestSecretsAndScrub_HideSecretsInMessages(t *testing.T) {
	t.Parallel()
	r := setup(t)
	secrets := r.Secrets("fake", map[string]any{"host": "db", "password": "p@ss word/1", "auth": map[string]any{"token": "tok"}})
	require.ElementsMatch(t, []string{"p@ss word/1", "tok"}, secrets)
	msg := connectors.Scrub("failed for p@ss word/1 and p%40ss+word%2F1 and p@ss%20word%2F1, tok", secrets)
	require.NotContains(t, msg, "p@ss")
	require.NotContains(t, msg, "p%40ss")
	require.NotContains(t, msg, "tok")
}

func TestRowLimit_DefaultsAndCaps(t *testing.T) {
	t.Parallel()
	require.Equal(t, connectors.DefaultRowLimit, connectors.RowLimit(0))
	require.Equal(t, connectors.MaxRowLimit, connectors.RowLimit(1<<30))
	require.Equal(t, 5, connectors.RowLimit(5))
}

func TestMerge_MapKeyLeftOutIsDeleted(t *testing.T) {
	t.Parallel()
	r := setup(t)
	stored := secretConfig()
	patch := r.Mask("fake", stored)
	patch["headers"] = map[string]any{"X-New": "v"}
	merged, err := r.Merge("fake", stored, patch)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"X-New": "v"}, merged["headers"], "a removed header stays removed")
	require.Equal(t, "pw-top", merged["password"])
}

func TestMerge_ANewTargetKeepsNoStoredSecret(t *testing.T) {
	t.Parallel()
	r := setup(t)
	all := []string{"config.auth.password", "config.headers.Authorization", "config.password", "config.resources[0].key"}
	cases := []struct {
		name  string
		edit  func(patch map[string]any)
		moved []string // the targets named in the message
		kept  []string // the secrets to enter again; nil: the merge is fine
	}{
		{"nothing moved", func(map[string]any) {}, nil, nil},
		{"port equal as JSON", func(p map[string]any) { p["port"] = 5432.0 }, nil, nil},
		{"host changed", func(p map[string]any) { p["host"] = "attacker.example.com" }, []string{"config.host"}, all},
		{"port changed", func(p map[string]any) { p["port"] = 5433 }, []string{"config.port"}, all},
		{"port removed", func(p map[string]any) { delete(p, "port") }, []string{"config.port"}, all},
		{"nested target added", func(p map[string]any) {
			p["auth"] = map[string]any{"type": "basic", "username": "u", "password": connectors.Masked, "token_url": "https://attacker.example.com"}
		}, []string{"config.auth.token_url"}, all},
		{"target inside an array element", func(p map[string]any) {
			p["resources"].([]any)[0].(map[string]any)["url"] = "https://attacker.example.com"
		}, []string{"config.resources[0].url"}, all},
		{"omitted named secrets are not kept either", func(p map[string]any) {
			p["host"] = "attacker.example.com"
			delete(p, "password")
			delete(p, "headers") // a map key left out is deleted, not kept
		}, []string{"config.host"}, []string{"config.auth.password", "config.password", "config.resources[0].key"}},
		{"secrets typed again are the editor's own", func(p map[string]any) {
			p["host"] = "attacker.example.com"
			p["password"] = "typed-again"
			p["auth"].(map[string]any)["password"] = ""
			p["headers"] = map[string]any{"Authorization": "Bearer typed-again"}
			p["resources"].([]any)[0].(map[string]any)["key"] = "typed-again"
		}, []string{"config.host"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stored := secretConfig()
			stored["resources"].([]any)[0].(map[string]any)["url"] = "https://api.example.com"
			patch := r.Mask("fake", stored)
			tc.edit(patch)
			merged, err := r.Merge("fake", stored, patch)
			if tc.kept == nil {
				require.NoError(t, err)
				require.NotContains(t, fmt.Sprint(merged), connectors.Masked)
				return
			}
			require.Nil(t, merged, "a refused merge returns no config")
			var verr *connectors.ValidationError
			require.ErrorAs(t, err, &verr)
			require.Equal(t, tc.kept, fields(verr.Fields))
			for _, f := range verr.Fields {
				for _, m := range tc.moved {
					require.Contains(t, f.Message, m)
				}
				require.NotContains(t, f.Message, "pw-")
			}
		})
	}
}
