package server

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/testutil"
	"github.com/datanika/datanika/internal/transform"
	"github.com/datanika/datanika/internal/transform/project"
)

// jaffleZip zips the engine's jaffle_shop test project with its raw seeds (read from
// /work/shared/datasets/jaffle_shop or $JAFFLE_SHOP_SEEDS; the test skips without them).
func jaffleZip(t *testing.T) []byte {
	t.Helper()
	files := map[string][]byte{}
	root := filepath.Join("..", "internal", "transform", "testdata", "jaffle_shop")
	require.NoError(t, fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(os.DirFS(root), p)
		files[p] = b
		return err
	}))
	seeds := os.Getenv("JAFFLE_SHOP_SEEDS")
	if seeds == "" {
		seeds = "/work/shared/datasets/jaffle_shop"
	}
	for _, name := range []string{"raw_customers.csv", "raw_orders.csv", "raw_payments.csv"} {
		b, err := os.ReadFile(filepath.Join(seeds, name)) //nolint:gosec // the test's own dataset
		if err != nil {
			t.Skipf("SKIPPED — the jaffle_shop seeds are not at %s (set JAFFLE_SHOP_SEEDS): %v", seeds, err)
		}
		files["seeds/"+name] = b
	}
	return zipOf(t, files)
}

func zipOf(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write(b)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func unzip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	out := map[string]string{}
	for _, f := range zr.File {
		r, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(r)
		require.NoError(t, err)
		out[f.Name] = string(data)
	}
	return out
}

func (s *testServer) importProject(t *testing.T, token string, zipped []byte, query string, status int) *http.Response {
	t.Helper()
	rec := s.call(t, http.MethodPost, "/api/v1/transformations/import"+query, token, upload{"file", "project.zip", zipped})
	require.Equal(t, status, rec.Code, rec.Body.String())
	return rec.Result()
}

func (s *testServer) export(t *testing.T, token, query string) map[string]string {
	t.Helper()
	rec := s.call(t, http.MethodGet, "/api/v1/transformations/export"+query, token, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "application/zip", rec.Header().Get("Content-Type"))
	return unzip(t, rec.Body.Bytes())
}

func TestTransformImport_JaffleShopImportsAndAJobBuildsItWithItsTests(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	dest := fmt.Sprintf("?destination_connection_id=%d", e.dstConn.Id)
	rec := e.call(t, http.MethodPost, "/api/v1/transformations/import"+dest, e.f.editor.AccessToken, upload{"file", "jaffle_shop.zip", jaffleZip(t)})
	rep := decode[api.ImportReport](t, rec, http.StatusOK)
	require.Equal(t, api.ImportCounts{Transformations: 7, Macros: 1, Seeds: 3, Sources: 0, Tests: 20, Snapshots: 1}, rep.Created, "%+v", rep)
	require.Len(t, rep.Warnings, 1, "%v", rep.Warnings)
	require.Contains(t, rep.Warnings[0], "singular test")

	// The folder config landed on the models.
	list := decode[api.TransformationList](t, e.call(t, http.MethodGet, "/api/v1/transformations?limit=100", e.f.viewer.AccessToken, nil), http.StatusOK)
	byName := map[string]api.Transformation{}
	for _, m := range list.Items {
		byName[m.Name] = m
	}
	require.Equal(t, api.Materialization("view"), byName["stg_orders"].Materialization)
	require.Equal(t, "staging/stg_orders.sql", byName["stg_orders"].Path)
	require.Equal(t, []string{"staging"}, byName["stg_orders"].Tags)
	require.Equal(t, api.Materialization("table"), byName["customers"].Materialization)
	require.Equal(t, api.Materialization("snapshot"), byName["orders_snapshot"].Materialization)

	j := decode[api.Job](t, e.call(t, http.MethodPost, "/api/v1/jobs", e.f.editor.AccessToken, map[string]any{
		"name": "jaffle build", "command": "build", "destination_connection_id": e.dstConn.Id}), http.StatusCreated)
	runJob := func() storedRun {
		jr := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/runs", j.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
		return e.waitFor(t, jr.Id, 60*time.Second, "success", "failed", "cancelled")
	}
	r := runJob()
	require.Equal(t, "success", r.status, "%v", r.errMsg)
	tests := 0
	for _, n := range r.stats.Nodes {
		if n.ResourceType == "test" {
			tests++
			require.Equal(t, "pass", n.Status, n.UniqueID)
		}
	}
	require.Equal(t, 20, tests)
	var customers, orders int
	require.NoError(t, e.dst.QueryRow(context.Background(), `SELECT count(*) FROM analytics.customers`).Scan(&customers))
	require.NoError(t, e.dst.QueryRow(context.Background(), `SELECT count(*) FROM analytics.orders`).Scan(&orders))
	require.Equal(t, 100, customers)
	require.Equal(t, 99, orders)

	// The tables equal those the CLI's engine builds from the exported project in a database of
	// its own (`datanika transform build` does exactly this: load, New, Run).
	cliURL := testutil.EmptyDatabase(t)
	rec = e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/transformations/export?destination_connection_id=%d", e.dstConn.Id), e.f.viewer.AccessToken, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	fsys, err := project.OpenZip(rec.Body.Bytes())
	require.NoError(t, err)
	proj, err := project.Load(fsys)
	require.NoError(t, err)
	tgt, err := transform.OpenTarget(cliURL, "analytics", 4)
	require.NoError(t, err)
	defer func() { _ = tgt.DB.Close() }()
	eng, err := transform.New(context.Background(), proj, transform.Options{Dialect: tgt.Dialect, TargetSchema: tgt.Schema, Threads: 4})
	require.NoError(t, err)
	sum, err := eng.Run(context.Background(), tgt.DB, transform.CmdBuild, "", "")
	require.NoError(t, err)
	require.Equal(t, transform.StatusSuccess, sum.Status)
	cli, err := pgxpool.New(context.Background(), cliURL)
	require.NoError(t, err)
	defer cli.Close()
	for _, table := range []string{"stg_customers", "stg_orders", "stg_payments", "customers", "orders", "payments_incremental"} {
		q := "SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM analytics." + table + " t"
		var ours, theirs string
		require.NoError(t, e.dst.QueryRow(context.Background(), q).Scan(&ours))
		require.NoError(t, cli.QueryRow(context.Background(), q).Scan(&theirs))
		require.NotEmpty(t, ours, table)
		require.Equal(t, theirs, ours, table)
	}

	// A second run is incremental: payments_incremental adds nothing.
	r = runJob()
	require.Equal(t, "success", r.status, "%v", r.errMsg)
	require.Equal(t, int64(0), nodeByID(t, r.stats.Nodes, "model.datanika.payments_incremental").RowsAffected)
}

func TestTransformImport_ExportImportExportGivesTheSameFiles(t *testing.T) {
	t.Parallel()
	s := setup(t, func(d *Deps) { d.MaxUploadBytes = 1 << 20 })
	f, g := s.newOrg(t), s.newOrg(t)
	conn := s.createConnection(t, f).Id
	s.importProject(t, f.editor.AccessToken, jaffleZip(t), fmt.Sprintf("?destination_connection_id=%d", conn), http.StatusOK)
	first := s.export(t, f.viewer.AccessToken, fmt.Sprintf("?destination_connection_id=%d", conn))
	require.Contains(t, first, "dbt_project.yml")
	require.Contains(t, first, "models/staging/stg_orders.sql")
	require.Contains(t, first, "snapshots/orders_snapshot.sql")
	require.Contains(t, first, "seeds/raw_orders.csv")
	require.Contains(t, first, "macros/cents_to_dollars.sql")
	require.Contains(t, first, "packages.yml", "dbt_utils tests need dbt_utils declared for dbt-core")
	require.Contains(t, first["dbt_project.yml"], "payment_methods")

	// Into another org: the same files come out.
	gConn := s.createConnection(t, g).Id
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	names := make([]string, 0, len(first))
	for n := range first {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.Create(n)
		require.NoError(t, err)
		_, err = w.Write([]byte(first[n]))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	s.importProject(t, g.editor.AccessToken, zipped.Bytes(), fmt.Sprintf("?destination_connection_id=%d", gConn), http.StatusOK)
	second := s.export(t, g.viewer.AccessToken, fmt.Sprintf("?destination_connection_id=%d", gConn))
	require.Equal(t, first, second)

	// Again into the first org: everything exists; skip skips it all, overwrite updates it.
	rep := decode[api.ImportReport](t, s.call(t, http.MethodPost, fmt.Sprintf("/api/v1/transformations/import?destination_connection_id=%d", conn),
		f.editor.AccessToken, upload{"file", "p.zip", zipped.Bytes()}), http.StatusOK)
	require.Equal(t, api.ImportCounts{}, rep.Created)
	require.Equal(t, 8, rep.Skipped.Transformations+rep.Skipped.Snapshots)
	rep = decode[api.ImportReport](t, s.call(t, http.MethodPost, fmt.Sprintf("/api/v1/transformations/import?destination_connection_id=%d&on_conflict=overwrite", conn),
		f.editor.AccessToken, upload{"file", "p.zip", zipped.Bytes()}), http.StatusOK)
	require.Equal(t, 8, rep.Updated.Transformations+rep.Updated.Snapshots)
	require.Equal(t, first, s.export(t, f.viewer.AccessToken, fmt.Sprintf("?destination_connection_id=%d", conn)))
}

func TestTransformImport_BrokenProjectsStoreNothing(t *testing.T) {
	t.Parallel()
	s := setup(t, func(d *Deps) { d.MaxUploadBytes = 1 << 20 })
	f := s.newOrg(t)
	conn := s.createConnection(t, f).Id
	dest := fmt.Sprintf("?destination_connection_id=%d", conn)
	project := func(extra map[string]string) []byte {
		files := map[string][]byte{"dbt_project.yml": []byte("name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n"),
			"models/a.sql": []byte("select 1 as id\n")}
		for k, v := range extra {
			files[k] = []byte(v)
		}
		return zipOf(t, files)
	}
	p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations/import"+dest, f.editor.AccessToken,
		upload{"file", "p.zip", project(map[string]string{"models/b.sql": "select * from {{ ref('nope') }}"})}), http.StatusUnprocessableEntity)
	e := fieldErr(t, p, "sql_body")
	require.Equal(t, "models/b.sql", *e.File)
	p = decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations/import"+dest, f.editor.AccessToken,
		upload{"file", "p.zip", project(map[string]string{"models/b.sql": "select 1\n{% if %}"})}), http.StatusUnprocessableEntity)
	require.Equal(t, 2, *fieldErr(t, p, "sql_body").Line)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations/import"+dest, f.editor.AccessToken,
		upload{"file", "p.zip", []byte("not a zip")}), http.StatusUnprocessableEntity)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations/import"+dest, f.editor.AccessToken,
		upload{"file", "p.zip", zipOf(t, map[string][]byte{"models/a.sql": []byte("select 1")})}), http.StatusUnprocessableEntity)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations/import"+dest+"&on_conflict=rename", f.editor.AccessToken,
		upload{"file", "p.zip", project(nil)}), http.StatusUnprocessableEntity)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/transformations/import"+dest, f.viewer.AccessToken,
		upload{"file", "p.zip", project(nil)}), http.StatusForbidden)
	list := decode[api.TransformationList](t, s.call(t, http.MethodGet, "/api/v1/transformations", f.viewer.AccessToken, nil), http.StatusOK)
	require.Empty(t, list.Items, "nothing of a refused import is stored")

	// A working one, with a warning for what is not kept.
	rep := decode[api.ImportReport](t, s.call(t, http.MethodPost, "/api/v1/transformations/import"+dest, f.editor.AccessToken,
		upload{"file", "p.zip", project(map[string]string{"tests/t.sql": "select * from {{ ref('a') }} where id < 0",
			"packages.yml":     "packages:\n  - package: calogica/dbt_expectations\n    version: 0.10.0\n",
			"models/props.yml": "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        description: the key\n        data_tests: [unique]\n"})}), http.StatusOK)
	require.Equal(t, 1, rep.Created.Transformations)
	require.Equal(t, 1, rep.Created.Tests)
	require.Len(t, rep.Warnings, 3, "%v", rep.Warnings)
	require.Contains(t, rep.Warnings[0]+rep.Warnings[1]+rep.Warnings[2], "descriptions of 1 column(s) of a are not kept")
}

func init() {
	requestBuilders["importTransformations"] = func(t *testing.T, s *testServer, f orgFixture) request {
		conn := s.createConnection(t, f)
		return request{http.MethodPost, fmt.Sprintf("/api/v1/transformations/import?destination_connection_id=%d", conn.Id),
			upload{"file", "p.zip", zipOf(t, map[string][]byte{"dbt_project.yml": []byte("name: p\nversion: '1'\nconfig-version: 2\n"),
				"models/" + uniqueIdent("m") + ".sql": []byte("select 1 as id")})}}
	}
	requestBuilders["exportTransformations"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, fmt.Sprintf("/api/v1/transformations/export?destination_connection_id=%d", s.createConnection(t, f).Id), nil}
	}
}

func TestTransformImport_JaffleShopBuildsOnMariaDB(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	schema := fmt.Sprintf("tfm_jaffle_%d", emailSeq.Add(1))
	// The org's default schema is the MariaDB database the models land in: one of this test's own.
	decode[api.Org](t, e.call(t, http.MethodPatch, "/api/v1/org", e.f.owner.AccessToken, map[string]any{"default_schema": schema}), http.StatusOK)
	d := mariaDest(t, e, schema)
	rep := decode[api.ImportReport](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/transformations/import?destination_connection_id=%d", d.connID),
		e.f.editor.AccessToken, upload{"file", "jaffle_shop.zip", jaffleZip(t)}), http.StatusOK)
	require.Equal(t, 7, rep.Created.Transformations)
	j := decode[api.Job](t, e.call(t, http.MethodPost, "/api/v1/jobs", e.f.editor.AccessToken, map[string]any{
		"name": "jaffle on maria", "command": "build", "destination_connection_id": d.connID}), http.StatusCreated)
	jr := decode[api.Run](t, e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/runs", j.Id), e.f.editor.AccessToken, nil), http.StatusAccepted)
	r := e.waitFor(t, jr.Id, 90*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "%v %+v", r.errMsg, r.stats.Nodes)
	var customers int64
	db, err := sql.Open("mysql", testutil.MySQLDSN(t))
	require.NoError(t, err)
	defer func() { _ = db.Close() }()
	require.NoError(t, db.QueryRowContext(context.Background(), "SELECT count(*) FROM `"+schema+"`.customers").Scan(&customers))
	require.Equal(t, int64(100), customers)
}
