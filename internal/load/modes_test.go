package load_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

func TestIncremental_StateLagInitialValueAndFullRefresh(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.log (id int PRIMARY KEY, at timestamptz)",
		`INSERT INTO src.log SELECT g, timestamptz '2024-01-01 00:00Z' + g * interval '1 minute' FROM generate_series(1, 100) g`)
	cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.log", "write_disposition": "merge", "primary_key": "id",
		"incremental": {"cursor_path": "at", "initial_value": "2024-01-01T01:00:00Z", "lag": "10m", "row_order": "desc"}}`)
	spec := load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg}
	res, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(41), res.Tables[0].RowsRead) // minutes 60..100, initial_value inclusive
	var state string
	require.NoError(t, pg.Conn.QueryRow(context.Background(),
		"SELECT cursor_value FROM raw._dnk_state WHERE pipeline = 'test' AND table_name = 'src.log'").Scan(&state))
	require.Equal(t, "2024-01-01T01:40:00Z", state)

	// Nothing new: the lag re-reads the last 10 minutes, merge keeps one row each.
	pg.Exec(t, "INSERT INTO src.log VALUES (101, '2024-01-01 01:41Z')")
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(12), res.Tables[0].RowsRead) // 01:30..01:41
	require.Equal(t, int64(42), pg.Count(t, "SELECT count(*) FROM raw.log"))

	// A full refresh forgets the state and reloads from the initial value, replacing the table.
	spec.FullRefresh = true
	pg.Exec(t, "DELETE FROM src.log WHERE id > 90")
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(31), res.Tables[0].RowsRead)
	require.Equal(t, int64(31), pg.Count(t, "SELECT count(*) FROM raw.log"))
	require.NoError(t, pg.Conn.QueryRow(context.Background(),
		"SELECT cursor_value FROM raw._dnk_state WHERE table_name = 'src.log'").Scan(&state))
	require.Equal(t, "2024-01-01T01:30:00Z", state)
}

func TestIncremental_AppendWithIntegerCursorReadsOnlyNewRows(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.t (id bigint PRIMARY KEY)",
		"INSERT INTO src.t SELECT generate_series(1, 10)")
	cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.t", "incremental": {"cursor_path": "id", "initial_value": 3}}`)
	spec := load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg}
	_, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	pg.Exec(t, "INSERT INTO src.t VALUES (11), (12)")
	res, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(2), res.Tables[0].RowsRead)
	require.Equal(t, int64(10), pg.Count(t, "SELECT count(*) FROM raw.t"))
	require.Equal(t, int64(10), pg.Count(t, "SELECT count(DISTINCT id) FROM raw.t"))
}

func TestFilters_ArePushedIntoTheSourceQuery(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.p (id int, status text, amount numeric(10,2), note text)",
		`INSERT INTO src.p SELECT g, CASE WHEN g % 3 = 0 THEN 'paid' ELSE 'open' END, g, CASE WHEN g % 2 = 0 THEN 'x' END
		 FROM generate_series(1, 30) g`)
	// verify=count passes COPY data through (filters inlined as literals); checksum decodes
	// (filters as bind parameters).
	for _, verify := range []string{"count", "checksum"} {
		cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.p", "verify": "`+verify+`", "filters": [
			{"column": "status", "op": "in", "value": ["paid", "it's"]}, {"column": "amount", "op": "gte", "value": 10},
			{"column": "note", "op": "not_null"}, {"column": "id", "op": "ne", "value": 12}, {"column": "id", "op": "not_in", "value": [99]}]}`)
		res, err := dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg, DestinationSchema: verify})
		require.NoError(t, err)
		// ids divisible by 6, >= 10, not 12: 18, 24, 30
		require.Equal(t, int64(3), res.Tables[0].RowsRead, verify)
		require.Equal(t, int64(3), pg.Count(t, "SELECT count(*) FROM "+verify+".p WHERE id IN (18, 24, 30)"), verify)
	}
}

func TestCancellation_LeavesTheDestinationAsItWas(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.big (id int PRIMARY KEY, pad text)",
		"INSERT INTO src.big SELECT g, repeat('x', 100) FROM generate_series(1, 200000) g",
		"CREATE SCHEMA raw", "CREATE TABLE raw.big (id int, pad text, _dnk_loaded_at timestamptz, _dnk_run_id text)",
		"INSERT INTO raw.big VALUES (-1, 'before', now(), 'old')")
	// verify=checksum takes the decoding path; the others pass binary COPY data through.
	for _, mode := range []string{"append", "replace", "merge", "replace\", \"verify\": \"checksum"} {
		cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.big", "primary_key": "id", "write_disposition": "`+mode+`", "batch_size": 1000}`)
		ctx, cancel := context.WithCancel(context.Background())
		var once bool
		_, err := load.Run(ctx, load.Spec{Pipeline: "p", Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg,
			DestinationSchema: "raw"}, nil, func(p load.Progress) {
			if p.RowsRead >= 20000 && !once {
				once = true
				cancel()
			}
		})
		cancel()
		require.Error(t, err, mode)
		require.True(t, errors.Is(err, context.Canceled), "%s: %v", mode, err)
		require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.big"), mode)
		// A temporary staging table goes with its session, which the server ends just after.
		require.Eventually(t, func() bool {
			return pg.Count(t, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_dnk\\_%' AND tablename NOT IN ('_dnk_loads', '_dnk_state', '_dnk_rejected')") == 0
		}, 5*time.Second, 50*time.Millisecond, mode)
	}
}

func TestErrors_MissingTableAndBadCursorFailBeforeTouchingTheDestination(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.a (id int)")
	_, err := dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.orders"}`)})
	require.EqualError(t, err, `source table "src.orders" does not exist`)
	_, err = dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.a", "incremental": {"cursor_path": "nope"}}`)})
	require.ErrorContains(t, err, `config.incremental.cursor_path: column "nope" is not a column of src.a`)
	require.Equal(t, int64(0), pg.Count(t, "SELECT count(*) FROM pg_namespace WHERE nspname = 'raw'"))

	unreachable, err := load.ParseURL("postgres://postgres@127.0.0.1:1/x?sslmode=disable")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = load.Run(ctx, load.Spec{Source: unreachable, Destination: pg.Endpoint(t), DestinationSchema: "raw",
		Config: dbtest.MustConfig(t, `{}`)}, nil, nil)
	require.ErrorContains(t, err, "connect to source postgres 127.0.0.1")
}
