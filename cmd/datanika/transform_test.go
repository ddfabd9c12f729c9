package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/testutil"
	"github.com/datanika/datanika/internal/transform/project"
)

func jaffleProjectDir(t *testing.T) string {
	t.Helper()
	seeds := os.Getenv("JAFFLE_SHOP_SEEDS")
	if seeds == "" {
		seeds = "/work/shared/datasets/jaffle_shop"
	}
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("../../internal/transform/testdata/jaffle_shop")))
	for _, name := range []string{"raw_customers.csv", "raw_orders.csv", "raw_payments.csv"} {
		b, err := os.ReadFile(filepath.Join(seeds, name))
		if err != nil {
			t.Skipf("SKIPPED — the jaffle_shop seeds are not at %s (set JAFFLE_SHOP_SEEDS): %v", seeds, err)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "seeds", name), b, 0o600))
	}
	return dir
}

type transformOutput struct {
	Status  string  `json:"status"`
	Seconds float64 `json:"seconds"`
	Nodes   []struct {
		UniqueID     string  `json:"unique_id"`
		ResourceType string  `json:"resource_type"`
		Status       string  `json:"status"`
		RowsAffected int64   `json:"rows_affected"`
		Seconds      float64 `json:"seconds"`
		Failures     int64   `json:"failures"`
		Message      string  `json:"message"`
	} `json:"nodes"`
}

func TestTransform_BuildPrintsOneJSONObjectAndExitsZero(t *testing.T) {
	t.Parallel()
	dir := jaffleProjectDir(t)
	u, err := url.Parse(testutil.EmptyDatabase(t))
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", "jaffle")
	u.RawQuery = q.Encode()

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"transform", "build", "--project", dir, "--target", u.String(),
		"--threads", "2", "--output", "json"}, os.Getenv, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String()+stdout.String())
	var out transformOutput
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), stdout.String())
	require.Equal(t, "success", out.Status)
	types := map[string]int{}
	for _, n := range out.Nodes {
		types[n.ResourceType]++
		if n.UniqueID == "model.jaffle_shop.customers" {
			require.Equal(t, "success", n.Status)
		}
	}
	require.Equal(t, 3, types["seed"])
	require.Equal(t, 1, types["snapshot"])
	require.Equal(t, 6, types["model"])
	require.Positive(t, types["test"])

	// The same project zipped runs too; a second build is incremental.
	proj, err := project.Load(os.DirFS(dir))
	require.NoError(t, err)
	zipPath := filepath.Join(t.TempDir(), "jaffle.zip")
	f, err := os.Create(zipPath)
	require.NoError(t, err)
	require.NoError(t, proj.WriteZip(f))
	require.NoError(t, f.Close())
	stdout.Reset()
	code = run(context.Background(), []string{"transform", "build", "--project", zipPath, "--target", u.String(),
		"--select", "payments_incremental", "--output", "json"}, os.Getenv, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String()+stdout.String())
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out))
	require.Equal(t, "model.jaffle_shop.payments_incremental", out.Nodes[0].UniqueID)
	require.Equal(t, "incremental", out.Nodes[0].Message)

	// A failing selection exits non-zero: an error-severity test that fails.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tests", "always_fails.sql"), []byte("select 1 as x"), 0o600))
	stdout.Reset()
	code = run(context.Background(), []string{"transform", "test", "--project", dir, "--target", u.String(),
		"--select", "always_fails", "--output", "json"}, os.Getenv, &stdout, &stderr)
	require.Equal(t, exitFailure, code)
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out))
	require.Len(t, out.Nodes, 1)
	require.Equal(t, "fail", out.Nodes[0].Status)
	require.Equal(t, int64(1), out.Nodes[0].Failures)
}

func TestTransform_BadUsageExitsTwo(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitUsage, run(context.Background(), []string{"transform", "dance"}, os.Getenv, &stdout, &stderr))
	require.Equal(t, exitUsage, run(context.Background(), []string{"transform", "build", "--project", "x"}, os.Getenv, &stdout, &stderr))
	require.Equal(t, exitUsage, run(context.Background(), []string{"transform", "build", "--project", t.TempDir(), "--target", "oracle://x"}, os.Getenv, &stdout, &stderr))
}

func TestTransform_BuildsOnMariaDBFromAMySQLURL(t *testing.T) {
	t.Parallel()
	dir := jaffleProjectDir(t)
	cfg, err := mysql.ParseDSN(testutil.MySQLDSN(t))
	require.NoError(t, err)
	db, err := sql.Open("mysql", cfg.FormatDSN())
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "dnk_test_" + hex.EncodeToString(suffix)
	_, err = db.ExecContext(context.Background(), "create database if not exists `"+name+"`")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = db.ExecContext(context.Background(), "drop database if exists `"+name+"`") })
	u := url.URL{Scheme: "mysql", User: url.UserPassword(cfg.User, cfg.Passwd), Host: cfg.Addr, Path: "/" + name}

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"transform", "build", "--project", dir, "--target", u.String(), "--output", "json"}, os.Getenv, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String()+stdout.String())
	var out transformOutput
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out))
	require.Equal(t, "success", out.Status)
}

// compatTarget is a postgres:// URL of an empty database of its own, with search_path set.
func compatTarget(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(testutil.EmptyDatabase(t))
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", "compat")
	u.RawQuery = q.Encode()
	return u.String()
}

func TestTransform_OneBrokenModelFailsAloneAndTheSummaryNamesFileAndLine(t *testing.T) {
	t.Parallel()
	dir := "../../internal/transform/testdata/compat/error_isolation"
	target := compatTarget(t)

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"transform", "seed", "--project", dir, "--target", target}, os.Getenv, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String()+stdout.String())
	require.Contains(t, stdout.String(), `WARNING models/schema.yml: model "ghost" is described but there is no such model`)

	stdout.Reset()
	code = run(context.Background(), []string{"transform", "build", "--project", dir, "--target", target}, os.Getenv, &stdout, &stderr)
	require.Equal(t, exitFailure, code, "a node errored: "+stderr.String()+stdout.String())
	text := stdout.String()
	require.Regexp(t, `(?m)^SUCCESS model\.compat_error_isolation\.good\b`, text)
	require.Regexp(t, `(?m)^ERROR\s+model\.compat_error_isolation\.bad_macro\b`, text)
	require.Contains(t, text, "models/bad_macro.sql:2:")
	require.Contains(t, text, "'no_such_macro' is undefined or not a macro")
	require.Contains(t, text, "models/bad_syntax.sql:2:")
	require.Regexp(t, `(?m)^SKIPPED model\.compat_error_isolation\.child_of_bad\b`, text)
	require.Contains(t, text, "build: error")
	require.Contains(t, text, "models/schema.yml:11: ")
	require.Contains(t, text, "required var 'no_such_var' not found")
	require.Contains(t, text, "(3 success, 1 pass, 4 error, 2 skipped)")
}

func TestTransform_SeveralSelectorArgumentsAreAUnionAsInDbt(t *testing.T) {
	t.Parallel()
	dir := "../../internal/transform/testdata/compat/select_many"
	target := compatTarget(t)
	ran := func(args ...string) []string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"transform", "run", "--project", dir, "--target", target}, args...), os.Getenv, &stdout, &stderr)
		require.Equal(t, exitOK, code, stderr.String()+stdout.String())
		var out transformOutput
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), stdout.String())
		var ids []string
		for _, n := range out.Nodes {
			require.Equal(t, "success", n.Status, n.Message)
			ids = append(ids, n.UniqueID)
		}
		return ids
	}
	require.ElementsMatch(t, []string{"model.compat_select_many.alpha", "model.compat_select_many.beta"},
		ran("--select", "alpha", "beta", "--output", "json"))
	require.ElementsMatch(t, []string{"model.compat_select_many.gamma"},
		ran("--exclude", "alpha", "beta", "--threads", "2", "--output", "json"))
	require.ElementsMatch(t, []string{"model.compat_select_many.alpha", "model.compat_select_many.gamma"},
		ran("--output", "json", "--select=alpha", "gamma"))

	// An argument that belongs to no flag is bad usage, not silently dropped.
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitUsage, run(context.Background(), []string{"transform", "run", "--project", dir, "--target", target,
		"--threads", "2", "alpha"}, os.Getenv, &stdout, &stderr))
	require.Contains(t, stderr.String(), `unexpected argument "alpha"`)
	require.Equal(t, exitUsage, run(context.Background(), []string{"transform", "run", "--project", dir, "--target", target,
		"--select"}, os.Getenv, &stdout, &stderr))
}
