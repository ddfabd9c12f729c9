package bqload

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	bq "cloud.google.com/go/bigquery"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/option"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/testutil"
)

// fakes are the fake servers of the engine tests, by destination schema: load.Run opens its
// destination through the registry, under the type "bigquery_fake".
var (
	fakes        sync.Map
	registerFake sync.Once
)

func fakeEndpoint(t *testing.T, schema string) (load.Endpoint, *fakeBigQuery) {
	t.Helper()
	registerFake.Do(func() {
		load.RegisterDestination("bigquery_fake", func(ctx context.Context, e load.Endpoint, schema string) (load.Destination, error) {
			f, _ := fakes.Load(e.Config["fake"])
			client, err := bq.NewClient(ctx, "my-project-123", option.WithEndpoint(f.(*fakeBigQuery).endpoint()), option.WithoutAuthentication())
			if err != nil {
				return nil, err
			}
			return &Destination{Client: client, Dataset: schema, Location: "EU"}, nil // Close closes the client
		})
	})
	f := newFakeBigQuery(t)
	fakes.Store(schema, f)
	return load.Endpoint{Type: "bigquery_fake", Config: map[string]any{"fake": schema}}, f
}

// The engine drives the destination end to end from a PostgreSQL source: every kind reaches the
// load job spelled for BigQuery, verify counts what the load job reports, and a run retried under
// the same run id publishes nothing twice.
func TestRun_FromPostgresThroughTheEngine(t *testing.T) {
	t.Parallel()
	u := testutil.EmptyDatabase(t)
	pool, err := pgxpool.New(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, err = pool.Exec(context.Background(), `CREATE TABLE orders (id int PRIMARY KEY, amount numeric(12,2), note text,
  at timestamptz, day date, raw bytea, doc jsonb, uid uuid, ok boolean);
INSERT INTO orders SELECT g, g * 1.5, CASE WHEN g % 2 = 0 THEN 'n' || g END, '2026-01-02 03:04:05.123456+02', '2026-01-02',
  '\x00ff', '{"a": [1, 2], "b": "x"}', '12345678-9abc-def0-0102-030405060708', g % 3 = 0 FROM generate_series(1, 100) g`)
	require.NoError(t, err)
	src, err := load.ParseURL(u)
	require.NoError(t, err)
	ep, f := fakeEndpoint(t, "raw_engine")
	cfg, err := load.ParseConfig([]byte(`{"mode": "single_table", "table": "public.orders", "verify": "count"}`))
	require.NoError(t, err)
	spec := load.Spec{Pipeline: "engine", RunID: "run-1", Attempt: "attempt-1", Source: src, Destination: ep,
		DestinationSchema: "raw_engine", Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := load.Run(ctx, spec, nil, nil)
	require.NoError(t, err)
	require.Equal(t, int64(100), res.RowsLoaded)
	require.Len(t, f.uploads, 1)
	lines := strings.Split(strings.TrimSuffix(f.uploads[0], "\n"), "\n")
	require.Len(t, lines, 100)
	require.Contains(t, lines, `{"id":2,"amount":"3","note":"n2","at":"2026-01-02 01:04:05.123456 UTC","day":"2026-01-02",`+
		`"raw":"AP8=","doc":{"a":[1,2],"b":"x"},"uid":"12345678-9abc-def0-0102-030405060708","ok":false}`)
	require.Equal(t, 1, f.published)

	// The run worker's retry of the same run: the guard finds the rows, nothing is published again.
	spec.Attempt = "attempt-2"
	_, err = load.Run(ctx, spec, nil, nil)
	require.NoError(t, err)
	require.Equal(t, 1, f.published, "a retry of a published run published again")
	require.Len(t, f.uploads, 2)
	for name := range f.tables {
		require.False(t, strings.HasPrefix(name, "_dnk_stage_"), "staging %s left", name)
	}
}
