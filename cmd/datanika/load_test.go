package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/testutil"
)

type loadOutput struct {
	Status     string  `json:"status"`
	RowsLoaded int64   `json:"rows_loaded"`
	Seconds    float64 `json:"seconds"`
	Tables     []struct {
		Name         string  `json:"name"`
		RowsRead     int64   `json:"rows_read"`
		RowsWritten  int64   `json:"rows_written"`
		RowsRejected int64   `json:"rows_rejected"`
		Bytes        int64   `json:"bytes"`
		Seconds      float64 `json:"seconds"`
	} `json:"tables"`
}

func loadDB(t *testing.T) (string, *pgx.Conn) {
	t.Helper()
	u := testutil.EmptyDatabase(t)
	conn, err := pgx.Connect(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return u, conn
}

func TestLoad_PrintsOneJSONObjectAndKeepsStateInTheDestination(t *testing.T) {
	t.Parallel()
	u, conn := loadDB(t)
	ctx := context.Background()
	_, err := conn.Exec(ctx, `CREATE TABLE public."OrderLines" ("Id" int PRIMARY KEY, "UpdatedAt" timestamptz, amount numeric(12,2));
		INSERT INTO public."OrderLines" SELECT g, timestamptz '2024-01-01Z' + g * interval '1 hour', g / 3.0 FROM generate_series(1, 500) g`)
	require.NoError(t, err)
	cfgFile := filepath.Join(t.TempDir(), "pipeline.json")
	require.NoError(t, os.WriteFile(cfgFile, []byte(`{"mode": "single_table", "table": "public.OrderLines",
		"write_disposition": "merge", "primary_key": "Id", "incremental": {"cursor_path": "UpdatedAt"}, "verify": "checksum"}`), 0o600))
	args := []string{"load", "--source", u, "--destination", u, "--name", "orders", "--config", "@" + cfgFile, "--output", "json"}
	res := runBinary(t, baseEnv(), args...)
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Len(t, nonEmptyLines(res.stdout), 1)
	var out loadOutput
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &out), res.stdout)
	require.Equal(t, "success", out.Status)
	require.Equal(t, int64(500), out.RowsLoaded)
	require.Len(t, out.Tables, 1)
	require.Equal(t, "order_lines", out.Tables[0].Name)
	require.Equal(t, int64(500), out.Tables[0].RowsRead)
	require.Positive(t, out.Tables[0].Bytes)

	// The second run reads only what is new, from the state in raw._dnk_state.
	_, err = conn.Exec(ctx, `INSERT INTO public."OrderLines" VALUES (501, '2030-01-01Z', 1)`)
	require.NoError(t, err)
	res = runBinary(t, baseEnv(), args...)
	require.Equal(t, exitOK, res.code, res.stderr)
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &out))
	require.Equal(t, int64(1), out.Tables[0].RowsRead)
	var state string
	require.NoError(t, conn.QueryRow(ctx, `SELECT cursor_value FROM raw._dnk_state WHERE pipeline = 'orders'`).Scan(&state))
	require.Equal(t, "2030-01-01T00:00:00Z", state)

	// --full-refresh reloads everything.
	res = runBinary(t, baseEnv(), append(args, "--full-refresh")...)
	require.Equal(t, exitOK, res.code, res.stderr)
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &out))
	require.Equal(t, int64(501), out.Tables[0].RowsRead)
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM raw.order_lines`).Scan(&n))
	require.Equal(t, 501, n)
}

func TestLoad_FailuresSayWhatInOneLineAndChangeNothing(t *testing.T) {
	t.Parallel()
	u, conn := loadDB(t)
	_, err := conn.Exec(context.Background(), `CREATE TABLE public.a (id int)`)
	require.NoError(t, err)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad config field", []string{"--config", `{"mode": "single_table", "table": "public.a", "incremental": {"row_order": "up"}}`},
			exitUsage, "config.incremental.cursor_path is required; config.incremental.row_order must be one of: asc, desc"},
		{"missing table", []string{"--config", `{"mode": "single_table", "table": "public.orders"}`},
			exitFailure, `source table "public.orders" does not exist`},
		{"unreachable source", []string{"--source", "postgres://postgres@127.0.0.1:1/nope?sslmode=disable"},
			exitFailure, "connect to source postgres 127.0.0.1"},
		{"missing sqlite file", []string{"--source", "sqlite:///nonexistent/chinook.sqlite"},
			exitUsage, `--source: sqlite file "/nonexistent/chinook.sqlite": no such file or directory`},
		{"unreachable mysql destination", []string{"--destination", "mysql://root@127.0.0.1:1/x"},
			exitFailure, "connect to destination mysql 127.0.0.1:1"},
		{"missing name", []string{"--name", ""}, exitUsage, "--name is required"},
		{"bad parallelism", []string{"--parallelism", "-1"}, exitUsage, "--parallelism must be between 0 and 64"},
	}
	for _, c := range cases {
		args := []string{"load", "--source", u, "--destination", u, "--name", "p"}
		res := runBinary(t, baseEnv(), append(args, c.args...)...)
		require.Equal(t, c.code, res.code, c.name+": "+res.stderr)
		lines := nonEmptyLines(res.stderr)
		require.Len(t, lines, 1, c.name)
		require.Contains(t, lines[0], c.want, c.name)
	}
	var schemas int
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_namespace WHERE nspname = 'raw'`).Scan(&schemas))
	require.Zero(t, schemas)
}

func TestLoad_ChinookFromSQLite(t *testing.T) {
	t.Parallel()
	path := ""
	// shared/ sits beside the repository (CI lays it there too).
	for _, dir := range []string{os.Getenv("CHINOOK_DIR"), "../../../shared/datasets/chinook", "/work/shared/datasets/chinook"} {
		if _, err := os.Stat(filepath.Join(dir, "Chinook_Sqlite.sqlite")); dir != "" && err == nil {
			path, _ = filepath.Abs(filepath.Join(dir, "Chinook_Sqlite.sqlite"))
			break
		}
	}
	if path == "" {
		t.Skipf("SKIPPED — the Chinook dataset is not beside the repository (shared/datasets/chinook); set CHINOOK_DIR")
	}
	u, conn := loadDB(t)
	res := runBinary(t, baseEnv(), "load", "--source", "sqlite://"+path, "--destination", u, "--name", "chinook",
		"--destination-schema", "chinook", "--config", `{"write_disposition": "replace"}`)
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, res.stdout, "chinook.invoice_line")
	require.Contains(t, res.stdout, "success: 15607 rows loaded")
	var n int
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT count(*) FROM chinook.playlist_track`).Scan(&n))
	require.Equal(t, 8715, n)
}
