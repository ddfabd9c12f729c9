package load_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

// metadataState stands for the platform's copy of the incremental state in its metadata
// database.
type metadataState struct {
	mu     sync.Mutex
	values map[string]string
}

func (m *metadataState) Get(_ context.Context, pipeline, table string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.values[pipeline+"/"+table]
	return v, ok, nil
}

func (m *metadataState) Put(_ context.Context, pipeline, table, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.values == nil {
		m.values = map[string]string{}
	}
	m.values[pipeline+"/"+table] = value
	return nil
}

// Issue #15 item 1: an incremental append whose destination commit lands while the metadata
// database is down must not be read again by the next run. The destination's own state,
// written with the rows, is what the next run starts from. (Before: the run failed with "save
// the incremental state…: metadata database unreachable" after publishing, the cursor stayed
// behind, and the next run appended the same rows again: 20 rows, 10 distinct ids.)
func TestIncremental_AnOutageAfterTheDestinationCommitNeverDuplicatesRows(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.t (id bigint PRIMARY KEY, note text)",
		"INSERT INTO src.t SELECT g, 'row ' || g FROM generate_series(1, 10) g")
	my := dbtest.NewMyDest(t)
	cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.t", "incremental": {"cursor_path": "id"}}`)

	for _, dest := range []struct {
		name  string
		spec  load.Spec
		count func(string) int64
	}{
		{"postgres", load.Spec{Pipeline: "p", Source: pg.Endpoint(t), Destination: pg.Endpoint(t), DestinationSchema: "raw", Config: cfg},
			func(q string) int64 { return pg.Count(t, "SELECT "+q+" FROM raw.t") }},
		{"mariadb", load.Spec{Pipeline: "p", Source: pg.Endpoint(t), Destination: my.EP, DestinationSchema: my.Name, Config: cfg},
			func(q string) int64 { return my.Count(t, "SELECT "+q+" FROM t") }},
	} {
		state := &metadataState{}
		run := func() (load.Result, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			return load.Run(ctx, dest.spec, state, nil)
		}
		// The outage begins after the run read its state and before the copy is saved: the
		// destination commits, the metadata write fails.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		res, err := load.Run(ctx, dest.spec, &downAfterGet{metadataState: state}, nil)
		cancel()
		require.NoError(t, err, "%s: the rows are published; the copy of the state is only a copy", dest.name)
		require.Equal(t, int64(10), res.RowsLoaded, dest.name)

		// The database is back, its copy still behind; the next trigger reads only new rows.
		pg.Exec(t, "INSERT INTO src.t VALUES (11, 'row 11')")
		res, err = run()
		require.NoError(t, err, dest.name)
		require.Equal(t, int64(1), res.RowsLoaded, dest.name)
		require.Equal(t, int64(11), dest.count("count(*)"), dest.name)
		require.Equal(t, int64(11), dest.count("count(DISTINCT id)"), dest.name)
		pg.Exec(t, "DELETE FROM src.t WHERE id = 11")
	}
}

// downAfterGet answers Get, then fails every Put: the metadata database went away during the
// load.
type downAfterGet struct{ *metadataState }

func (d *downAfterGet) Put(context.Context, string, string, string) error {
	return errors.New("metadata database unreachable")
}

// The ledger: each publishing transaction records the run, the table and its rows in the
// destination, so a run found without an ending can be settled by asking the destination
// (issue #15, item 2). A table is in the answer exactly when its publication committed.
func TestPublishedTables_AnswersWhatARunCommitted(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.a (id int PRIMARY KEY)", "CREATE TABLE src.b (id int PRIMARY KEY)",
		"INSERT INTO src.a SELECT generate_series(1, 5)", "INSERT INTO src.b SELECT generate_series(1, 3)")
	my := dbtest.NewMyDest(t)
	for _, disposition := range []string{"append", "replace", "merge"} {
		extra := ""
		if disposition == "merge" {
			extra = `, "merge_config": {"a": {"primary_key": "id"}, "b": {"primary_key": "id"}}`
		}
		cfg := dbtest.MustConfig(t, `{"mode": "full_database", "source_schema": "src", "table_names": ["a", "b"], "write_disposition": "`+disposition+`"`+extra+`}`)
		for _, dest := range []struct {
			name   string
			ep     load.Endpoint
			schema string
		}{{"postgres", pg.Endpoint(t), "led_" + disposition}, {"mariadb", my.EP, my.Name}} {
			ctx := context.Background()
			spec := load.Spec{Pipeline: "p", RunID: "run-" + disposition, Source: pg.Endpoint(t), Destination: dest.ep, DestinationSchema: dest.schema, Config: cfg}
			res, err := load.Run(ctx, spec, nil, nil)
			require.NoError(t, err, dest.name)
			got, err := load.PublishedTables(ctx, dest.ep, dest.schema, "run-"+disposition)
			require.NoError(t, err, dest.name)
			require.Equal(t, map[string]int64{"a": res.Tables[0].RowsWritten, "b": res.Tables[1].RowsWritten}, got, "%s %s", dest.name, disposition)
			require.Equal(t, int64(5), got["a"], "%s %s", dest.name, disposition)

			// A run that published nothing has no entry.
			none, err := load.PublishedTables(ctx, dest.ep, dest.schema, "run-never")
			require.NoError(t, err)
			require.Empty(t, none)
		}
	}
	// A schema that never saw a load answers empty, not an error.
	none, err := load.PublishedTables(context.Background(), pg.Endpoint(t), "nothing_here", "run-x")
	require.NoError(t, err)
	require.Empty(t, none)
}
