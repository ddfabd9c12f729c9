package pgcopy_test

import (
	"bytes"
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load/pgcopy"
	"github.com/datanika/datanika/internal/testutil"
)

// Every value is copied into PostgreSQL in the binary format and read back as text: what the
// server stored is what was meant, digit for digit.
func TestWriter_PostgreSQLReadsEveryTypeAsMeant(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testutil.EmptyDatabase(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	_, err = conn.Exec(ctx, `create table t (i serial, b boolean, s smallint, n integer, l bigint, r real, d double precision,
		x text, y bytea, j jsonb, u uuid, dt date, ts timestamp, tz timestamptz, m numeric(38, 4), z numeric(20, 0))`)
	require.NoError(t, err)

	at := time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.FixedZone("", 3600))
	type row struct {
		write func(w *pgcopy.Writer)
		want  string
	}
	rows := []row{
		{func(w *pgcopy.Writer) {
			w.Bool(true)
			w.Int16(-32768)
			w.Int32(math.MaxInt32)
			w.Int64(math.MinInt64)
			w.Float32(1.5)
			w.Float64(-0.1)
			w.String("tab\there \"quoted\" ünï")
			w.Bytes([]byte{0, 1, 0xff})
			w.JSONB([]byte(`{"a": [1, 2.5, null]}`))
			w.UUID([16]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8})
			w.Date(at)
			w.Timestamp(pgcopy.TimestampOf(at, false))
			w.Timestamp(pgcopy.TimestampOf(at, true))
			w.Numeric(-123456789012345, 4)
			w.Numeric(math.MaxInt64, 0)
		}, `true|-32768|2147483647|-9223372036854775808|1.5|-0.1|tab	here "quoted" ünï|\x0001ff|{"a": [1, 2.5, null]}|12345678-9abc-def0-0102-030405060708|2024-02-29|2024-02-29 13:14:15.123456|2024-02-29 12:14:15.123456+00|-12345678901.2345|9223372036854775807`},
		{func(w *pgcopy.Writer) {
			for range 15 {
				w.Null()
			}
		}, `||||||||||||||`},
		{func(w *pgcopy.Writer) {
			w.Bool(false)
			w.Int16(0)
			w.Int32(-1)
			w.Int64(0)
			w.Float32(float32(math.Inf(-1)))
			w.Float64(math.NaN())
			w.String("")
			w.Bytes(nil)
			w.JSONB([]byte(`"x"`))
			w.UUID([16]byte{})
			w.Date(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC))
			w.Timestamp(pgcopy.TimestampOf(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), false))
			w.Timestamp(pgcopy.TimestampOf(time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), true))
			w.Numeric(0, 4)
			w.Numeric(-1, 0)
		}, `false|0|-1|0|-Infinity|NaN||\x|"x"|00000000-0000-0000-0000-000000000000|0001-01-01|1970-01-01 00:00:00|9999-12-31 23:59:59.999999+00|0.0000|-1`},
	}
	// Decimals around the base-10000 group edges: leading and trailing zero groups, values
	// below one, every length of integer and fraction part.
	decimals := map[int64]string{
		1: "0.0001", 10: "0.0010", 10000: "1.0000", 100000000: "10000.0000", 12345: "1.2345",
		-5: "-0.0005", 99990000: "9999.0000", 1000100: "100.0100", 123456780000: "12345678.0000",
	}
	for n, want := range decimals {
		rows = append(rows, row{func(w *pgcopy.Writer) {
			for range 13 {
				w.Null()
			}
			w.Numeric(n, 4)
			w.Numeric(n, 0)
		}, "|||||||||||||" + want + "|" + bigInt(n)})
	}

	var buf bytes.Buffer
	w := pgcopy.NewWriter(&buf)
	for _, r := range rows {
		w.Row(15)
		r.write(w)
	}
	require.NoError(t, w.Close())
	tag, err := conn.PgConn().CopyFrom(ctx, &buf, "COPY t (b, s, n, l, r, d, x, y, j, u, dt, ts, tz, m, z) FROM STDIN (FORMAT binary)")
	require.NoError(t, err)
	require.EqualValues(t, len(rows), tag.RowsAffected())

	_, err = conn.Exec(ctx, "set timezone = 'UTC'")
	require.NoError(t, err)
	got, err := conn.Query(ctx, `select concat_ws('|', coalesce(b::text, ''), coalesce(s::text, ''), coalesce(n::text, ''), coalesce(l::text, ''),
		coalesce(r::text, ''), coalesce(d::text, ''), coalesce(x, ''), coalesce(y::text, ''), coalesce(j::text, ''), coalesce(u::text, ''),
		coalesce(dt::text, ''), coalesce(ts::text, ''), coalesce(tz::text, ''), coalesce(m::text, ''), coalesce(z::text, '')) from t order by i`)
	require.NoError(t, err)
	texts, err := pgx.CollectRows(got, pgx.RowTo[string])
	require.NoError(t, err)
	for i, r := range rows {
		require.Equal(t, r.want, texts[i], "row %d", i)
	}
}

func bigInt(n int64) string { return strconv.FormatInt(n, 10) }

// An empty stream is a valid COPY of no rows.
func TestWriter_NoRows(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testutil.EmptyDatabase(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	_, err = conn.Exec(ctx, "create table t (a bigint)")
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, pgcopy.NewWriter(&buf).Close())
	tag, err := conn.PgConn().CopyFrom(ctx, &buf, "COPY t (a) FROM STDIN (FORMAT binary)")
	require.NoError(t, err)
	require.Zero(t, tag.RowsAffected())
}

// A value of the wrong width for its column makes the COPY fail; nothing is stored.
func TestWriter_AMismatchFailsTheCopy(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testutil.EmptyDatabase(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	_, err = conn.Exec(ctx, "create table t (a integer)")
	require.NoError(t, err)
	var buf bytes.Buffer
	w := pgcopy.NewWriter(&buf)
	w.Row(1)
	w.Int64(1)
	require.NoError(t, w.Close())
	_, err = conn.PgConn().CopyFrom(ctx, &buf, "COPY t (a) FROM STDIN (FORMAT binary)")
	require.ErrorContains(t, err, "binary data format")
	var n int
	require.NoError(t, conn.QueryRow(ctx, "select count(*) from t").Scan(&n))
	require.Zero(t, n)
}

// scaledText spells n × 10^-scale with scale digits after the point, as PostgreSQL prints it.
func scaledText(n int64, scale int) string {
	digits := strconv.FormatUint(uint64(n), 10) //nolint:gosec // the magnitude, fixed below
	sign := ""
	if n < 0 {
		sign = "-"
		digits = strconv.FormatUint(uint64(-(n+1))+1, 10) //nolint:gosec // |MinInt64| fits a uint64
	}
	if scale == 0 {
		return sign + digits
	}
	for len(digits) <= scale {
		digits = "0" + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}

// Many decimals, of every scale up to 18 and magnitudes from 1 digit to 19, read back digit for digit.
func TestWriter_NumericDigitForDigit(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testutil.EmptyDatabase(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	_, err = conn.Exec(ctx, "create table t (i integer, v numeric)")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // test data
	var want []string
	var buf bytes.Buffer
	w := pgcopy.NewWriter(&buf)
	for i := range 3000 {
		n := rng.Int64N(math.MaxInt64) >> rng.IntN(63)
		if rng.IntN(2) == 0 {
			n = -n
		}
		if i == 0 {
			n = math.MinInt64
		}
		scale := rng.IntN(19)
		w.Row(2)
		w.Int32(int32(i)) //nolint:gosec // < 3000
		w.Numeric(n, scale)
		want = append(want, scaledText(n, scale))
	}
	require.NoError(t, w.Close())
	_, err = conn.PgConn().CopyFrom(ctx, &buf, "COPY t (i, v) FROM STDIN (FORMAT binary)")
	require.NoError(t, err)
	rows, err := conn.Query(ctx, "select v::text from t order by i")
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// Wide decimals and times of day.
func TestWriter_BigNumericAndTime(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testutil.EmptyDatabase(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	_, err = conn.Exec(ctx, "create table t (i integer, v numeric, h time)")
	require.NoError(t, err)
	num := func(s string) *big.Int {
		n, ok := new(big.Int).SetString(s, 10)
		require.True(t, ok)
		return n
	}
	cases := []struct {
		n    *big.Int
		exp  int
		want string
	}{
		{num("123456789012345678901234567890123456789"), -10, "12345678901234567890123456789.0123456789"},
		{num("-98765432109876543210"), -25, "-0.0000098765432109876543210"},
		{num("5"), 3, "5000"},
		{num("0"), -2, "0.00"},
	}
	var buf bytes.Buffer
	w := pgcopy.NewWriter(&buf)
	for i, c := range cases {
		w.Row(3)
		w.Int32(int32(i)) //nolint:gosec // a few
		w.BigNumeric(c.n, c.exp)
		w.Time(int64(i)*3_600_000_000 + 1)
	}
	require.NoError(t, w.Close())
	_, err = conn.PgConn().CopyFrom(ctx, &buf, "COPY t (i, v, h) FROM STDIN (FORMAT binary)")
	require.NoError(t, err)
	rows, err := conn.Query(ctx, "select v::text || ' ' || h::text from t order by i")
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{cases[0].want + " 00:00:00.000001", cases[1].want + " 01:00:00.000001",
		cases[2].want + " 02:00:00.000001", cases[3].want + " 03:00:00.000001"}, got)
}
