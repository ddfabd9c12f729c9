package load_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

// losingSource loses the last row of the first batch it reads: a reader that silently stops short.
type losingSource struct{ load.Source }

func (s losingSource) Read(ctx context.Context, t *load.Table, w load.Window, batchSize int, emit load.Emit) error {
	lost := false
	return s.Source.Read(ctx, t, w, batchSize, func(b *load.Batch) (*load.Batch, error) {
		if !lost && b.Len() > 0 {
			b.Drop()
			lost = true
		}
		return emit(b)
	})
}

// alteringDestination changes one value of the first batch on its way into staging: a value
// mangled between the source and the destination (a conversion that rounds, say).
type alteringDestination struct{ load.Destination }

func (d alteringDestination) Begin(ctx context.Context, p *load.TablePlan) (load.TableLoad, error) {
	tl, err := d.Destination.Begin(ctx, p)
	return alteringLoad{tl}, err
}

type alteringLoad struct{ load.TableLoad }

func (l alteringLoad) Copy(ctx context.Context, next func() (*load.Batch, error)) (int64, error) {
	done := false
	return l.TableLoad.Copy(ctx, func() (*load.Batch, error) {
		b, err := next()
		if b != nil && !done && b.Len() > 0 {
			b.Row(0)[1] = "mangled"
			done = true
		}
		return b, err
	})
}

// verify=count fails a load that lost a row and verify=checksum one that changed a value; either
// way the destination keeps what it had. verify=none lets both through, which shows that the
// failures come from verify.
func TestVerify_CountCatchesALostRowAndChecksumAChangedValue(t *testing.T) {
	pg := dbtest.NewPG(t)
	pg.Exec(t, "CREATE SCHEMA src", "CREATE TABLE src.items (id int PRIMARY KEY, name text)",
		"INSERT INTO src.items SELECT g, 'item ' || g FROM generate_series(1, 500) g",
		"CREATE SCHEMA raw", "CREATE TABLE raw.items (id int, name text, _dnk_loaded_at timestamptz, _dnk_run_id text)",
		"INSERT INTO raw.items VALUES (0, 'before', now(), 'old')")
	cases := []struct {
		name, verify string
		src          func(load.Source) load.Source
		dst          func(load.Destination) load.Destination
		wantErr      bool
	}{
		{"lost row, count", "count", func(s load.Source) load.Source { return losingSource{s} }, nil, true},
		{"lost row, checksum", "checksum", func(s load.Source) load.Source { return losingSource{s} }, nil, true},
		{"changed value, checksum", "checksum", nil, func(d load.Destination) load.Destination { return alteringDestination{d} }, true},
		{"lost row, none", "none", func(s load.Source) load.Source { return losingSource{s} }, nil, false},
	}
	for _, c := range cases {
		for _, mode := range []string{"append", "replace", "merge"} {
			load.SetTestHooks(c.src, c.dst)
			cfg := dbtest.MustConfig(t, `{"mode": "single_table", "table": "src.items", "write_disposition": "`+mode+`",
				"primary_key": "id", "verify": "`+c.verify+`"}`)
			_, err := dbtest.RunLoad(t, load.Spec{Source: pg.Endpoint(t), Destination: pg.Endpoint(t), Config: cfg})
			load.SetTestHooks(nil, nil)
			if !c.wantErr {
				require.NoError(t, err, "%s, %s", c.name, mode)
				pg.Exec(t, "DROP TABLE raw.items", "CREATE TABLE raw.items (id int, name text, _dnk_loaded_at timestamptz, _dnk_run_id text)",
					"INSERT INTO raw.items VALUES (0, 'before', now(), 'old')")
				continue
			}
			require.Error(t, err, "%s, %s", c.name, mode)
			require.True(t, errors.Is(err, load.ErrVerify), "%s, %s: %v", c.name, mode, err)
			require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.items"), "%s, %s: the destination is as before", c.name, mode)
			require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM raw.items WHERE name = 'before'"), "%s, %s", c.name, mode)
		}
	}
}
