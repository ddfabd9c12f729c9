package connection_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/connection"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/builtin"
	"github.com/datanika/datanika/internal/secrets"
	"github.com/datanika/datanika/internal/testutil"
)

// recordingDialer refuses every dial and counts it: updating a connection must never reach
// the network, least of all the host an editor just typed.
type recordingDialer struct{ dials atomic.Int64 }

func (d *recordingDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	d.dials.Add(1)
	return nil, errors.New("dialing is not allowed in this test")
}

type fixture struct {
	svc    *connection.Service
	p      auth.Principal
	dialer *recordingDialer
}

// fixtureSeq makes the fixture's slug and email unique: parallel fast-tier tests' uncommitted
// rows would make a second insert of one of them wait for the first test's end.
var fixtureSeq atomic.Int64

// setup is the service in a rolled-back transaction (the fast tier), with an org and an editor.
func setup(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	tx := testutil.Tx(t)
	owner := testutil.AsOwner(t, tx)
	n := fixtureSeq.Add(1)
	email := fmt.Sprintf("ed@c%d.example.com", n)
	var orgID, userID int64
	require.NoError(t, owner.QueryRow(ctx, `INSERT INTO organizations (name, slug) VALUES ('A', $1) RETURNING id`, fmt.Sprintf("org-a-%d", n)).Scan(&orgID))
	require.NoError(t, owner.QueryRow(ctx, `INSERT INTO users (email, full_name) VALUES ($1, 'Ed') RETURNING id`, email).Scan(&userID))
	keyring, err := secrets.NewKeyring([]secrets.Key{{ID: "test", Key: bytes.Repeat([]byte{7}, 32)}})
	require.NoError(t, err)
	d := &recordingDialer{}
	env := connectors.Env{Dialer: d, Files: func(context.Context, int64) (string, error) { return "", errors.New("no files here") }}
	svc := connection.New(tx, builtin.Registry(), keyring, env, testutil.Logger())
	return fixture{svc: svc, p: auth.Principal{UserID: userID, OrgID: orgID, Role: auth.RoleEditor, Name: email}, dialer: d}
}

// fullConfigs hold a valid config of every registered type with every secret of its schema
// filled in (checked below against the schema, so a new secret field cannot be forgotten).
func fullConfigs() map[string]map[string]any {
	return map[string]map[string]any{
		"postgres": {"host": "db.example.com", "port": 5432, "database": "d", "user": "u", "password": "pg-secret-value", "sslmode": "require", "schema": "public"},
		"mysql":    {"host": "db.example.com", "port": 3306, "database": "d", "user": "u", "password": "my-secret-value", "tls": "true"},
		"mssql":    {"host": "db.example.com", "port": 1433, "database": "d", "user": "u", "password": "ms-secret-value", "encrypt": "true", "schema": "dbo"},
		"redshift": {"host": "rs.example.com", "port": 5439, "database": "d", "user": "u", "password": "rs-secret-value", "sslmode": "require", "schema": "public",
			"s3_staging": map[string]any{"bucket": "stage-bucket", "prefix": "stage/", "region": "us-east-1", "endpoint": "https://s3.example.com",
				"access_key_id": "AKIAEXAMPLE", "secret_access_key": "rs-s3-secret-value", "session_token": "rs-s3-session-token"}},
		"clickhouse": {"host": "ch.example.com", "port": 9440, "protocol": "native", "secure": true, "database": "default", "user": "default", "password": "ch-secret-value"},
		"snowflake": {"account": "myorg-myaccount", "user": "u", "authenticator": "password", "password": "sf-secret-value", "private_key": "sf-private-key-value",
			"warehouse": "w", "database": "d", "schema": "s", "role": "r"},
		"bigquery": {"project_id": "my-project-123", "dataset": "d", "location": "US", "credentials_json": `{"type":"service_account","private_key":"bq-secret-value"}`},
		"s3": {"bucket": "data-bucket", "prefix": "in/", "region": "us-east-1", "endpoint": "https://s3.example.com", "force_path_style": true,
			"access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3-secret-value", "session_token": "s3-session-token", "format": "csv", "compression": "none"},
		"rest_api": {"base_url": "https://api.example.com/v1", "headers": map[string]any{"X-Api-Key": "header-secret-value"},
			"auth": map[string]any{"type": "bearer", "token_url": "https://auth.example.com/token", "client_id": "cid",
				"client_secret": "oauth-secret-value", "token": "bearer-secret-value", "username": "u", "password": "basic-secret-value", "name": "X-Key", "value": "apikey-secret-value"},
			"resources": []any{map[string]any{"name": "orders", "path": "/orders"}}},
		"file":   {"file_id": 1, "format": "csv"},
		"sqlite": {"file_id": 1},
	}
}

// mark is a field of a schema carrying x-secret or x-target; path holds "*" for any key of a map.
type mark struct {
	path     []string
	schema   map[string]any
	required bool
}

// marked walks a config schema's properties, additionalProperties and items for a marker.
func marked(schema map[string]any, key string) []mark {
	var out []mark
	var walk func(s map[string]any, path []string, required bool)
	walk = func(s map[string]any, path []string, required bool) {
		if s[key] == true {
			out = append(out, mark{path: path, schema: s, required: required})
		}
		req := map[string]bool{}
		if list, ok := s["required"].([]any); ok {
			for _, r := range list {
				req[r.(string)] = true
			}
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for name, sub := range props {
				walk(sub.(map[string]any), append(append([]string(nil), path...), name), req[name])
			}
		}
		if ap, ok := s["additionalProperties"].(map[string]any); ok {
			walk(ap, append(append([]string(nil), path...), "*"), false)
		}
		if it, ok := s["items"].(map[string]any); ok {
			walk(it, append(append([]string(nil), path...), "[]"), false)
		}
	}
	walk(schema, nil, true)
	return out
}

// valuesAt returns the concrete paths ("config.headers.X-Api-Key") and values a mark names in cfg.
func valuesAt(cfg any, path []string, prefix string) map[string]any {
	out := map[string]any{}
	if len(path) == 0 {
		out[prefix] = cfg
		return out
	}
	switch path[0] {
	case "*":
		m, _ := cfg.(map[string]any)
		for k, v := range m {
			for p, x := range valuesAt(v, path[1:], prefix+"."+k) {
				out[p] = x
			}
		}
	case "[]":
		list, _ := cfg.([]any)
		for i, v := range list {
			for p, x := range valuesAt(v, path[1:], fmt.Sprintf("%s[%d]", prefix, i)) {
				out[p] = x
			}
		}
	default:
		m, _ := cfg.(map[string]any)
		if v, ok := m[path[0]]; ok {
			for p, x := range valuesAt(v, path[1:], prefix+"."+path[0]) {
				out[p] = x
			}
		}
	}
	return out
}

// secretPaths are the field paths of every non-empty secret of cfg, found through the schema.
func secretPaths(t *testing.T, schema map[string]any, cfg map[string]any) []string {
	t.Helper()
	var out []string
	for _, m := range marked(schema, "x-secret") {
		found := valuesAt(cfg, m.path, "config")
		require.NotEmpty(t, found, "the full config must fill secret %v", m.path)
		for p, v := range found {
			require.NotEmpty(t, v, "the full config must fill secret %s", p)
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// deepCopy copies a config through JSON, so numbers are what a stored config holds.
func deepCopy(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// setAt sets (or, with remove, deletes) the value at a property path of cfg.
func setAt(cfg map[string]any, path []string, value any, remove bool) {
	m := cfg
	for _, k := range path[:len(path)-1] {
		m = m[k].(map[string]any)
	}
	if remove {
		delete(m, path[len(path)-1])
		return
	}
	m[path[len(path)-1]] = value
}

// otherValue is a valid value of a target field that differs from v: another enum value, the
// other boolean, the next number, or a look-alike host, bucket or account name.
func otherValue(t *testing.T, schema map[string]any, v any) any {
	t.Helper()
	if enum, ok := schema["enum"].([]any); ok {
		for _, e := range enum {
			if e != v {
				return e
			}
		}
	}
	switch x := v.(type) {
	case bool:
		return !x
	case float64:
		return x + 1
	case string:
		if i := strings.Index(x, "://"); i >= 0 {
			return x[:i+3] + "attacker-" + x[i+3:]
		}
		return "x" + x
	}
	t.Fatalf("no other value for %v", v)
	return nil
}

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var aerr *apperr.Error
	require.ErrorAs(t, err, &aerr)
	require.Equal(t, apperr.Invalid, aerr.Kind, err.Error())
	var out []string
	for _, f := range aerr.Fields {
		out = append(out, f.Field)
	}
	sort.Strings(out)
	return out
}

// TestUpdate_ANewTargetNeverTakesAStoredSecret is the property "a stored secret never follows a
// connection to a new destination", checked for every registered type and every field its
// schema marks x-target: changing, removing or adding that field while secrets stay masked is
// refused with 422 naming every secret to re-enter; nothing is stored and nothing is dialed.
// The same change with the secrets typed again is accepted.
func TestUpdate_ANewTargetNeverTakesAStoredSecret(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	reg := builtin.Registry()
	configs := fullConfigs()
	for _, typ := range reg.Offered() {
		t.Run(typ.Name, func(t *testing.T) {
			full, ok := configs[typ.Name]
			require.True(t, ok, "fullConfigs needs a config of %s", typ.Name)
			full = deepCopy(t, full)
			var schema map[string]any
			require.NoError(t, json.Unmarshal(typ.ConfigSchema, &schema))
			secretFields := secretPaths(t, schema, full)
			require.Len(t, reg.Secrets(typ.Name, full), len(secretFields), "every secret of the config is declared in the schema")

			type change struct {
				name          string
				stored, moved map[string]any
			}
			var changes []change
			for _, m := range marked(schema, "x-target") {
				require.NotContains(t, m.path, "*", "targets sit at named fields")
				require.NotContains(t, m.path, "[]", "targets sit at named fields")
				at := valuesAt(full, m.path, "config")
				require.Len(t, at, 1, "the full config must set target %v", m.path)
				for p, v := range at {
					moved := deepCopy(t, full)
					setAt(moved, m.path, otherValue(t, m.schema, v), false)
					changes = append(changes, change{"change " + p, full, moved})
					if !m.required {
						without := deepCopy(t, full)
						setAt(without, m.path, nil, true)
						changes = append(changes, change{"remove " + p, full, without}, change{"add " + p, without, full})
					}
				}
			}
			for i, c := range changes {
				t.Run(c.name, func(t *testing.T) {
					stored, err := f.svc.Create(ctx, f.p, fmt.Sprintf("%s %d", typ.Name, i), typ.Name, c.stored)
					require.NoError(t, err)
					want := secretPaths(t, schema, c.stored)

					patch := reg.Mask(typ.Name, c.moved)
					_, err = f.svc.Update(ctx, f.p, stored.ID, nil, patch)
					if len(want) == 0 {
						require.NoError(t, err, "a type without secrets has nothing to withhold")
						return
					}
					require.Equal(t, want, fieldsOf(t, err), "every stored secret must be typed again")

					after, err := f.svc.Get(ctx, f.p, stored.ID)
					require.NoError(t, err)
					require.Equal(t, deepCopy(t, c.stored), after.Config, "a refused update stores nothing")
					require.Zero(t, f.dialer.dials.Load(), "nothing was dialed")

					// With every secret typed again the same change is fine.
					updated, err := f.svc.Update(ctx, f.p, stored.ID, nil, deepCopy(t, c.moved))
					require.NoError(t, err)
					require.Equal(t, deepCopy(t, c.moved), deepCopy(t, updated.Config))
				})
			}
		})
	}
	require.Zero(t, f.dialer.dials.Load())
}

// TestUpdate_SameTargetKeepsMaskedAndOmittedSecrets: with the destination unchanged, a masked
// or omitted secret keeps its stored value at any depth.
func TestUpdate_SameTargetKeepsMaskedAndOmittedSecrets(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	reg := builtin.Registry()
	full := deepCopy(t, fullConfigs()["rest_api"])
	stored, err := f.svc.Create(ctx, f.p, "api", "rest_api", full)
	require.NoError(t, err)

	patch := reg.Mask("rest_api", full)
	patch["max_pages"] = 3
	delete(patch["auth"].(map[string]any), "client_secret") // omitted: kept
	updated, err := f.svc.Update(ctx, f.p, stored.ID, nil, patch)
	require.NoError(t, err)
	want := deepCopy(t, full)
	want["max_pages"] = float64(3)
	require.Equal(t, want, deepCopy(t, updated.Config))
}

// TestUpdate_OmittedSecretsDoNotFollowANewHost: leaving a secret out is like sending it masked.
func TestUpdate_OmittedSecretsDoNotFollowANewHost(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	stored, err := f.svc.Create(ctx, f.p, "api", "rest_api", fullConfigs()["rest_api"])
	require.NoError(t, err)
	patch := deepCopy(t, fullConfigs()["rest_api"])
	patch["auth"] = map[string]any{"type": "bearer", "token_url": "https://attacker.example.net/token"}
	delete(patch, "headers")
	_, err = f.svc.Update(ctx, f.p, stored.ID, nil, patch)
	require.Equal(t, []string{"config.auth.client_secret", "config.auth.password", "config.auth.token", "config.auth.value"}, fieldsOf(t, err))
}
