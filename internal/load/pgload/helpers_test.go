package pgload_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/testutil"
)

// pgEnv is a fresh PostgreSQL database used as source (schema src) and destination.
type pgEnv struct {
	url  string
	conn *pgx.Conn
}

func newPG(t *testing.T) *pgEnv {
	t.Helper()
	u := testutil.EmptyDatabase(t)
	conn, err := pgx.Connect(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return &pgEnv{url: u, conn: conn}
}

func (e *pgEnv) exec(t *testing.T, sqls ...string) {
	t.Helper()
	for _, s := range sqls {
		_, err := e.conn.Exec(context.Background(), s)
		require.NoError(t, err, s)
	}
}

func (e *pgEnv) endpoint(t *testing.T) load.Endpoint {
	t.Helper()
	ep, err := load.ParseURL(e.url)
	require.NoError(t, err)
	return ep
}

func (e *pgEnv) count(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, e.conn.QueryRow(context.Background(), q, args...).Scan(&n), q)
	return n
}

func mustConfig(t *testing.T, js string) load.Config {
	t.Helper()
	cfg, err := load.ParseConfig([]byte(js))
	require.NoError(t, err)
	return cfg
}

func runLoad(t *testing.T, spec load.Spec) (load.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if spec.Pipeline == "" {
		spec.Pipeline = "test"
	}
	if spec.DestinationSchema == "" {
		spec.DestinationSchema = "raw"
	}
	return load.Run(ctx, spec, nil, nil)
}
