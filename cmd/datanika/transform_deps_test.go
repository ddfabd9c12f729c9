package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// greeterHub is a dbt package hub serving one package, fake-org/greeter 1.2.0, as a tarball
// wrapped in one folder, as GitHub serves them.
func greeterHub(t *testing.T) *httptest.Server {
	t.Helper()
	files := map[string]string{
		"dbt_project.yml": "name: greeter\nversion: 1.2.0\nconfig-version: 2\nvars:\n  greeting: hello\nmodels:\n  greeter:\n    +materialized: table\n",
		"macros/greet.sql": "{% macro greet(who) %}{{ return(adapter.dispatch('greet', 'greeter')(who)) }}{% endmacro %}\n" +
			"{% macro default__greet(who) %}'{{ var(\"greeting\", \"hi\") }}, ' || {{ who }}{% endmacro %}\n" +
			"{% macro postgres__greet(who) %}{{ default__greet(who) }} || '!'{% endmacro %}\n",
		"macros/not_empty.sql":     "{% test not_empty(model, column_name) %}select * from {{ model }} where {{ column_name }} = ''{% endtest %}\n",
		"models/greeter_model.sql": "select '{{ var(\"greeting\") }}' as g\n",
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, text := range files {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: "greeter-1.2.0/" + name, Mode: 0o644, Size: int64(len(text)), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(text))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/fake-org/greeter.json":
			_ = json.NewEncoder(w).Encode(map[string]any{"versions": map[string]any{
				"1.2.0": map[string]any{"downloads": map[string]any{"tarball": srv.URL + "/greeter-1.2.0.tar.gz"}},
				"2.0.0": map[string]any{"downloads": map[string]any{"tarball": srv.URL + "/missing.tar.gz"}},
			}})
		case "/greeter-1.2.0.tar.gz":
			_, _ = w.Write(buf.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTransform_DepsInstallsFromTheHubThenBuildRunsThePackagesCode(t *testing.T) {
	t.Parallel()
	hub := greeterHub(t)
	dir := t.TempDir()
	for name, text := range map[string]string{
		"dbt_project.yml":   "name: cli_pkgs\nversion: '1.0'\nvars:\n  greeter:\n    greeting: bonjour\n",
		"packages.yml":      "packages:\n  - package: fake-org/greeter\n    version: [\">=1.0.0\", \"<2.0.0\"]\n",
		"models/uses.sql":   "select {{ greeter.greet(\"'world'\") }} as greeting from {{ ref('greeter_model') }}\n",
		"models/schema.yml": "version: 2\nmodels:\n  - name: uses\n    columns:\n      - name: greeting\n        data_tests: [greeter.not_empty]\n",
	} {
		full := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o750))
		require.NoError(t, os.WriteFile(full, []byte(text), 0o600))
	}
	cache := t.TempDir()
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	deps := []string{"transform", "deps", "--project", dir, "--cache-dir", cache}

	// The hub is on loopback: the egress policy refuses it until the allowlist opens it.
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), deps, env(map[string]string{"DBT_HUB_URL": hub.URL}), &stdout, &stderr)
	require.Equal(t, exitFailure, code, stdout.String())
	require.Contains(t, stderr.String(), "egress denied")

	stderr.Reset()
	code = run(context.Background(), deps, env(map[string]string{"DBT_HUB_URL": hub.URL, "EGRESS_ALLOWLIST": "127.0.0.1"}), &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	require.Contains(t, stdout.String(), "installed greeter 1.2.0 from fake-org/greeter in dbt_packages/greeter")
	require.FileExists(t, filepath.Join(dir, "dbt_packages", "greeter", "macros", "greet.sql"))

	stdout.Reset()
	code = run(context.Background(), []string{"transform", "build", "--project", dir, "--target", compatTarget(t), "--output", "json"}, os.Getenv, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String()+stdout.String())
	var out transformOutput
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), stdout.String())
	got := map[string]string{}
	for _, n := range out.Nodes {
		got[n.UniqueID] = n.Status
	}
	require.Equal(t, map[string]string{
		"model.greeter.greeter_model":                              "success",
		"model.cli_pkgs.uses":                                      "success",
		"test.cli_pkgs.greeter_not_empty_uses_greeting.415a80d790": "pass", // dbt: namespace kept, id hashed
	}, got)

	// The package's vars under the root's, its dispatch with postgres__ first.
	stdout.Reset()
	code = run(context.Background(), []string{"transform", "compile", "--project", dir, "--target", compatTarget(t), "--select", "uses"}, os.Getenv, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	require.Contains(t, stdout.String(), "select 'hi, ' || 'world' || '!' as greeting from")
	// The package's own model sees its vars, and the root project's vars: {greeter: …} win.
	stdout.Reset()
	code = run(context.Background(), []string{"transform", "compile", "--project", dir, "--target", compatTarget(t), "--select", "greeter_model"}, os.Getenv, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	require.Contains(t, stdout.String(), "select 'bonjour' as g")
}

func TestTransform_DepsBadUsage(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitUsage, run(context.Background(), []string{"transform", "deps"}, os.Getenv, &stdout, &stderr))
	require.Equal(t, exitUsage, run(context.Background(), []string{"transform", "deps", "--project", "/no/such/dir"}, os.Getenv, &stdout, &stderr))
	require.Equal(t, exitUsage, run(context.Background(), []string{"transform", "deps", "--project", t.TempDir()},
		func(k string) string { return map[string]string{"EGRESS_ALLOW_PRIVATE": "perhaps"}[k] }, &stdout, &stderr))
	require.Contains(t, stderr.String(), "EGRESS_ALLOW_PRIVATE must be true or false")
}
