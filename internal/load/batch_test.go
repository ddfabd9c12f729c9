package load_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/testutil"
)

// The batch layout was chosen by these benchmarks (docs/architecture.md, "Load engine"): the
// engine's row-major batch of boxed values against typed column vectors re-boxed per row for
// pgx's COPY, each filled as a source would and copied into PostgreSQL.

const benchRows = 200_000

var benchColumns = []load.Column{
	{Name: "id", Type: load.Type{Kind: load.KindInt64}}, {Name: "name", Type: load.Type{Kind: load.KindText}},
	{Name: "amount", Type: load.Type{Kind: load.KindDecimal, Precision: 12, Scale: 2}},
	{Name: "updated_at", Type: load.Type{Kind: load.KindTimestampTZ}}, {Name: "flag", Type: load.Type{Kind: load.KindBool}},
}

var benchNames = func() []string {
	s := make([]string, 1000)
	for i := range s {
		s[i] = fmt.Sprintf("customer %d", i)
	}
	return s
}()

func benchValue(i int) (int64, string, pgtype.Numeric, time.Time, bool) {
	return int64(i), benchNames[i%1000], pgtype.Numeric{Int: big.NewInt(int64(i)), Exp: -2, Valid: true},
		time.Unix(int64(1700000000+i), 0).UTC(), i%2 == 0
}

// columnar is the alternative: one typed vector per column and a validity bitmap.
type columnar struct {
	ids    []int64
	names  []string
	amts   []pgtype.Numeric
	ats    []time.Time
	flags  []bool
	valid  [5][]uint64
	n, pos int
	row    []any
	batch  int
	total  int
}

func (c *columnar) fill() bool {
	if c.total >= benchRows {
		return false
	}
	c.ids, c.names, c.amts, c.ats, c.flags = c.ids[:0], c.names[:0], c.amts[:0], c.ats[:0], c.flags[:0]
	for k := range c.valid {
		c.valid[k] = c.valid[k][:0]
	}
	for c.n = 0; c.n < c.batch && c.total < benchRows; c.n++ {
		id, name, amt, at, flag := benchValue(c.total)
		c.ids, c.names, c.amts, c.ats, c.flags = append(c.ids, id), append(c.names, name), append(c.amts, amt),
			append(c.ats, at), append(c.flags, flag)
		if c.n%64 == 0 {
			for k := range c.valid {
				c.valid[k] = append(c.valid[k], 0)
			}
		}
		for k := range c.valid {
			c.valid[k][c.n/64] |= 1 << (c.n % 64)
		}
		c.total++
	}
	c.pos = 0
	return c.n > 0
}

func (c *columnar) Next() bool {
	if c.pos >= c.n && !c.fill() {
		return false
	}
	c.pos++
	return true
}

func (c *columnar) Values() ([]any, error) {
	i := c.pos - 1
	c.row = append(c.row[:0], c.ids[i], c.names[i], c.amts[i], c.ats[i], c.flags[i])
	return c.row, nil
}

func (c *columnar) Err() error { return nil }

// rowMajor feeds COPY from the engine's Batch.
type rowMajor struct {
	b          *load.Batch
	pos, total int
	batch      int
}

func (r *rowMajor) Next() bool {
	if r.pos >= r.b.Len() {
		if r.total >= benchRows {
			return false
		}
		r.b.Reset()
		for r.b.Len() < r.batch && r.total < benchRows {
			row := r.b.Next()
			id, name, amt, at, flag := benchValue(r.total)
			row[0], row[1], row[2], row[3], row[4] = id, name, amt, at, flag
			r.total++
		}
		r.pos = 0
	}
	r.pos++
	return true
}

func (r *rowMajor) Values() ([]any, error) { return r.b.Row(r.pos - 1), nil }
func (r *rowMajor) Err() error             { return nil }

func benchCopy(b *testing.B, conn *pgx.Conn, src func() pgx.CopyFromSource) {
	ctx := context.Background()
	for b.Loop() {
		_, err := conn.Exec(ctx, "TRUNCATE bench")
		require.NoError(b, err)
		n, err := conn.CopyFrom(ctx, pgx.Identifier{"bench"}, []string{"id", "name", "amount", "updated_at", "flag"}, src())
		require.NoError(b, err)
		require.Equal(b, int64(benchRows), n)
	}
}

func BenchmarkBatchLayout_CopyIntoPostgres(b *testing.B) {
	u := testutil.EmptyDatabase(b)
	conn, err := pgx.Connect(context.Background(), u)
	require.NoError(b, err)
	defer func() { _ = conn.Close(context.Background()) }()
	_, err = conn.Exec(context.Background(), "CREATE UNLOGGED TABLE bench (id bigint, name text, amount numeric(12,2), updated_at timestamptz, flag bool)")
	require.NoError(b, err)
	b.Run("row-major", func(b *testing.B) {
		b.ReportAllocs()
		benchCopy(b, conn, func() pgx.CopyFromSource { return &rowMajor{b: load.NewBatch(benchColumns, 10000), batch: 10000} })
	})
	b.Run("columnar", func(b *testing.B) {
		b.ReportAllocs()
		benchCopy(b, conn, func() pgx.CopyFromSource { return &columnar{batch: 10000} })
	})
}
