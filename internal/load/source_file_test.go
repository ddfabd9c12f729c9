package load_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/s3/s3test"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

// jaffleDir holds jaffle_shop's raw CSVs, read in place.
const jaffleDir = "../../../shared/datasets/jaffle_shop"

func jaffle(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(jaffleDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("jaffle_shop is not here (%v)", err)
	}
	return p
}

// uploads resolves file ids to paths, as the platform's FileResolver does for an org.
func uploads(paths ...string) connectors.Env {
	return connectors.Env{Files: func(_ context.Context, id int64) (string, error) {
		if id < 1 || int(id) > len(paths) {
			return "", fmt.Errorf("no file %d", id)
		}
		return paths[id-1], nil
	}}
}

func fileEndpoint(env connectors.Env, id int, format string) load.Endpoint {
	return load.Endpoint{Type: "file", Config: map[string]any{"file_id": float64(id), "format": format}, Env: env}
}

// tableText reads a destination table's columns as text (NULL as "\N"), ordered by the first.
func tableText(t *testing.T, pg *dbtest.PG, table string, cols []string) [][]string {
	t.Helper()
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = fmt.Sprintf(`coalesce(%q::text, '\N')`, c)
	}
	rows, err := pg.Conn.Query(context.Background(), fmt.Sprintf("SELECT %s FROM %s ORDER BY %q", strings.Join(exprs, ", "), table, cols[0]))
	require.NoError(t, err)
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		out = append(out, vals)
	}
	require.NoError(t, rows.Err())
	return out
}

func columnTypes(t *testing.T, pg *dbtest.PG, schema, table string) map[string]string {
	t.Helper()
	rows, err := pg.Conn.Query(context.Background(), `SELECT column_name, data_type FROM information_schema.columns
WHERE table_schema = $1 AND table_name = $2`, schema, table)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, ty string
		require.NoError(t, rows.Scan(&n, &ty))
		out[n] = ty
	}
	return out
}

func readCSV(t *testing.T, path string) (header []string, rows [][]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	return recs[0], recs[1:]
}

// jaffleTypes are the types inference must find for jaffle_shop's raw tables.
var jaffleTypes = map[string]map[string]string{
	"raw_customers": {"id": "bigint", "first_name": "text", "last_name": "text"},
	"raw_orders":    {"id": "bigint", "user_id": "bigint", "order_date": "date", "status": "text"},
	"raw_payments":  {"id": "bigint", "order_id": "bigint", "payment_method": "text", "amount": "bigint"},
}

// requireJaffle checks that table holds the CSV's rows exactly, with the inferred types.
func requireJaffle(t *testing.T, pg *dbtest.PG, schema, table string) {
	t.Helper()
	header, want := readCSV(t, jaffle(t, table+".csv"))
	types := columnTypes(t, pg, schema, table)
	for col, ty := range jaffleTypes[table] {
		require.Equal(t, ty, types[col], "%s.%s", table, col)
	}
	got := tableText(t, pg, schema+"."+table, header)
	require.Len(t, got, len(want))
	// Ordered by id as integers: the CSVs are in id order.
	require.Equal(t, want, got, table)
}

func TestFileSource_JaffleShopUploadsLoadEqualToTheirContent(t *testing.T) {
	pg := dbtest.NewPG(t)
	names := []string{"raw_customers", "raw_orders", "raw_payments"}
	var paths []string
	for _, n := range names {
		paths = append(paths, jaffle(t, n+".csv"))
	}
	env := uploads(paths...)
	// verify count copies the values as COPY text; checksum decodes them (both paths).
	for _, verify := range []string{"count", "checksum"} {
		schema := "raw_" + verify
		for i, n := range names {
			before := load.FileTextCopies()
			res, err := dbtest.RunLoad(t, load.Spec{Pipeline: "jaffle_" + n, Source: fileEndpoint(env, i+1, "csv"), DestinationSchema: schema,
				Destination: pg.Endpoint(t), Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "`+n+`", "verify": "`+verify+`"}`)})
			require.NoError(t, err)
			_, want := readCSV(t, paths[i])
			require.Equal(t, int64(len(want)), res.RowsLoaded)
			requireJaffle(t, pg, schema, n)
			require.Equal(t, verify == "count", load.FileTextCopies() == before+1, "the path taken with verify %s", verify)
		}
	}
	// The catalog's name for the upload (file.file_<id>) is the default table name.
	_, err := dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 1, "csv"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{}`)})
	require.NoError(t, err)
	require.Equal(t, int64(100), pg.Count(t, "SELECT count(*) FROM raw.file_1"))
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// A value that breaks its column's inferred kind past the sample follows the data_type contract.
func TestFileSource_ValueBreakingTheInferredTypeFollowsTheContract(t *testing.T) {
	pg := dbtest.NewPG(t)
	var b strings.Builder
	b.WriteString("id,qty,day\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "%d,%d,2024-01-%02d\n", i, i*10, i)
	}
	b.WriteString("31,lots,2024-01-31\n") // line 32
	env := uploads(writeTemp(t, "qty.csv", b.String()))
	verify := "count"
	run := func(contract string) (load.Result, error) {
		return dbtest.RunLoad(t, load.Spec{Pipeline: "p_" + contract, DestinationSchema: contract, Source: fileEndpoint(env, 1, "csv"),
			Destination: pg.Endpoint(t), Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "qty", "files": {"sample_rows": 10},
			"schema_contract": {"data_type": "`+contract+`"}, "verify": "`+verify+`"}`)})
	}
	// Both paths (COPY text, decoding) under freeze and evolve.
	for _, verify = range []string{"checksum", "count"} {
		_, err := run("freeze")
		require.ErrorIs(t, err, load.ErrContract, verify)
		require.ErrorContains(t, err, `file 1, line 32, column "qty": "lots" is not an integer`, verify)
		_, err = run("evolve")
		require.NoError(t, err, verify)
		require.Equal(t, int64(31), pg.Count(t, "SELECT count(*) FROM evolve.qty"), verify)
		pg.Exec(t, "DROP SCHEMA evolve CASCADE")
	}

	_, err := run("freeze")
	require.ErrorIs(t, err, load.ErrContract)
	require.ErrorContains(t, err, `file 1, line 32, column "qty"`)
	require.ErrorContains(t, err, `"lots" is not an integer`)
	require.Zero(t, pg.Count(t, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'freeze' AND table_name = 'qty'"))

	res, err := run("discard_row")
	require.NoError(t, err)
	require.Equal(t, int64(30), res.RowsLoaded)
	require.Equal(t, int64(1), res.Tables[0].RowsRejected)
	require.Equal(t, "bigint", columnTypes(t, pg, "discard_row", "qty")["qty"])
	var reason, row string
	require.NoError(t, pg.Conn.QueryRow(context.Background(),
		`SELECT reason, "row"::text FROM discard_row._dnk_rejected WHERE table_name = 'qty'`).Scan(&reason, &row))
	require.Contains(t, reason, `file 1, line 32`)
	require.Contains(t, reason, `"lots" is not an integer`)
	require.Contains(t, row, `"lots"`)

	res, err = run("evolve")
	require.NoError(t, err)
	require.Equal(t, int64(31), res.RowsLoaded)
	require.Equal(t, "text", columnTypes(t, pg, "evolve", "qty")["qty"], "evolve widened the column")
	require.Equal(t, "date", columnTypes(t, pg, "evolve", "qty")["day"])
	require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM evolve.qty WHERE qty = 'lots'"))
	require.Equal(t, int64(1), pg.Count(t, "SELECT count(*) FROM evolve.qty WHERE qty = '300'"))
}

func TestFileSource_DialectsAndOverrides(t *testing.T) {
	pg := dbtest.NewPG(t)
	semicolon := "\xef\xbb\xbfcode;name;price;seen\n007;caf\xc3\xa9;1,5;\\N\n012;'x;y';2;2024-01-01 10:00:00\n"
	latin1 := "id|name\n1|caf\xe9\n2|NA\n3|\n"
	env := uploads(writeTemp(t, "a.csv", semicolon), writeTemp(t, "b.csv", latin1))

	_, err := dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 1, "csv"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "a", "files": {"quote": "'", "columns": {"price": "text"}}}`)})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"007", "café", "1,5", `\N`}, {"012", "x;y", "2", "2024-01-01 10:00:00"}},
		tableText(t, pg, "raw.a", []string{"code", "name", "price", "seen"}))
	require.Equal(t, "timestamp without time zone", columnTypes(t, pg, "raw", "a")["seen"])

	_, err = dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 2, "csv"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "b", "files": {"null_marker": "NA"}}`)})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"1", "café"}, {"2", `\N`}, {"3", `\N`}}, tableText(t, pg, "raw.b", []string{"id", "name"}))

	// The connection's delimiter and has_header hold unless the pipeline overrides them.
	env = uploads(writeTemp(t, "e.csv", "1;2\n3;4\n"))
	ep := fileEndpoint(env, 1, "csv")
	ep.Config["delimiter"], ep.Config["has_header"] = ";", false
	_, err = dbtest.RunLoad(t, load.Spec{Source: ep, Destination: pg.Endpoint(t), Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "e"}`)})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"1", "2"}, {"3", "4"}}, tableText(t, pg, "raw.e", []string{"column_1", "column_2"}))

	// Headerless: columns are numbered.
	env = uploads(writeTemp(t, "c.tsv", "1\tx\n2\ty\n"))
	_, err = dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 1, "tsv"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "c", "files": {"header": false}}`)})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"1", "x"}, {"2", "y"}}, tableText(t, pg, "raw.c", []string{"column_1", "column_2"}))

	// A malformed file fails naming the line; nothing is published.
	env = uploads(writeTemp(t, "d.csv", "id,name\n1,a\n2,\"b\n"))
	_, err = dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 1, "csv"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "d"}`)})
	require.ErrorContains(t, err, "file 1: line 3: a quoted field is not closed")
	require.Zero(t, pg.Count(t, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = 'd'"))
}

func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.String()
}

func TestFileSource_JSONFormats(t *testing.T) {
	pg := dbtest.NewPG(t)
	jsonl := `{"id": 1, "name": "a", "tags": ["x", "y"], "at": "2024-01-01T10:00:00Z", "ok": true, "amount": 1.50}
{"id": 2, "name": null, "meta": {"k": 1}, "at": "2024-01-02T10:00:00+02:00", "ok": false, "amount": 12345678901234567890.123}
`
	doc := `{"meta": {"page": 1}, "data": {"items": [{"id": 1, "v": "x"}, {"id": 2, "v": "y"}]}}`
	arr := `[{"id": 1}, {"id": 2}, {"id": 3}]`
	env := uploads(writeTemp(t, "a.jsonl.gz", gz(t, jsonl)), writeTemp(t, "b.json", doc), writeTemp(t, "c.json", arr))

	_, err := dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 1, "jsonl"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "a"}`)})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"id": "bigint", "name": "text", "tags": "jsonb", "at": "timestamp with time zone",
		"ok": "boolean", "amount": "numeric", "meta": "jsonb"}, withoutLoaderColumns(columnTypes(t, pg, "raw", "a")))
	require.Equal(t, [][]string{
		{"1", "a", `["x", "y"]`, "2024-01-01 10:00:00+00", "true", "1.50", `\N`},
		{"2", `\N`, `\N`, "2024-01-02 08:00:00+00", "false", "12345678901234567890.123", `{"k": 1}`},
	}, tableTextUTC(t, pg, "raw.a", []string{"id", "name", "tags", "at", "ok", "amount", "meta"}))

	_, err = dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 2, "json"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "b", "files": {"records_path": "data.items"}}`)})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"1", "x"}, {"2", "y"}}, tableText(t, pg, "raw.b", []string{"id", "v"}))

	_, err = dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 2, "json"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "b2", "files": {"records_path": "data.nope"}}`)})
	require.ErrorContains(t, err, `records_path "data.nope": the file has no such key`)

	_, err = dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 3, "json"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "c"}`)})
	require.NoError(t, err)
	require.Equal(t, int64(3), pg.Count(t, "SELECT count(*) FROM raw.c"))

	// Without records_path, the first top-level key holding an array is the records.
	env = uploads(writeTemp(t, "d.json", `{"meta": {"page": 1, "links": [1, 2]}, "total": 2, "items": [{"id": 7}, {"id": 8}], "more": [{"x": 1}]}`))
	_, err = dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 1, "json"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "d"}`)})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"7"}, {"8"}}, tableText(t, pg, "raw.d", []string{"id"}))
}

// withoutLoaderColumns drops the columns the loader adds, whatever they are named.
func withoutLoaderColumns(types map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range types {
		if k != load.LoadedAtColumn && k != load.RunIDColumn {
			out[k] = v
		}
	}
	return out
}

func tableTextUTC(t *testing.T, pg *dbtest.PG, table string, cols []string) [][]string {
	t.Helper()
	pg.Exec(t, "SET TIME ZONE 'UTC'")
	return tableText(t, pg, table, cols)
}

type parquetRow struct {
	ID      int64     `parquet:"id"`
	Amount  int64     `parquet:"amount,decimal(2:18)"`
	Big     []byte    `parquet:"big,decimal(4:30)"`
	At      time.Time `parquet:"at,timestamp(microsecond)"`
	Day     int32     `parquet:"day,date"` // days since 1970-01-01
	Name    *string   `parquet:"name,optional"`
	Tags    []string  `parquet:"tags,list"`
	Small   int32     `parquet:"small"`
	Ratio   float64   `parquet:"ratio"`
	Flag    bool      `parquet:"flag"`
	Payload []byte    `parquet:"payload"`
}

func TestFileSource_ParquetTypesMapExactly(t *testing.T) {
	pg := dbtest.NewPG(t)
	name := "x"
	// 12345678901234567890123456.7890 as a 13-byte big-endian two's complement integer.
	huge, ok := new(big.Int).SetString("123456789012345678901234567890", 10)
	require.True(t, ok)
	neg := new(big.Int).Neg(huge)
	rows := []parquetRow{
		{ID: 1, Amount: 12345, Big: twos(huge, 13), At: time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC),
			Day: days(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)), Name: &name, Tags: []string{"a", "b"}, Small: -5, Ratio: 0.25, Flag: true, Payload: []byte{0, 1}},
		{ID: 2, Amount: -1, Big: twos(neg, 13), At: time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
			Day: days(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)), Tags: nil, Small: 7, Ratio: -1e300, Flag: false,
			Payload: []byte{0xff}},
	}
	var b bytes.Buffer
	require.NoError(t, parquet.Write(&b, rows))
	env := uploads(writeTemp(t, "p.parquet", b.String()))
	// verify count copies the values as binary COPY; checksum decodes them (both paths).
	for _, verify := range []string{"count", "checksum"} {
		beforeBinary := load.ParquetBinaryCopies()
		_, err := dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 1, "parquet"), Destination: pg.Endpoint(t), DestinationSchema: verify,
			Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "p", "verify": "`+verify+`"}`)})
		require.NoError(t, err)
		require.Equal(t, verify == "count", load.ParquetBinaryCopies() == beforeBinary+1, "binary COPY with verify %s", verify)
		requireParquetRows(t, pg, verify)
	}
}

func requireParquetRows(t *testing.T, pg *dbtest.PG, schema string) {
	t.Helper()
	types := withoutLoaderColumns(columnTypes(t, pg, schema, "p"))
	require.Equal(t, map[string]string{"id": "bigint", "amount": "numeric", "big": "numeric", "at": "timestamp with time zone",
		"day": "date", "name": "text", "tags": "jsonb", "small": "integer", "ratio": "double precision", "flag": "boolean",
		"payload": "bytea"}, types)
	require.Equal(t, [][]string{
		{"1", "123.45", "12345678901234567890123456.7890", "2024-01-02 03:04:05.123456+00", "2024-02-29", "x", `["a", "b"]`, "-5", "0.25", "true", `\x0001`},
		{"2", "-0.01", "-12345678901234567890123456.7890", "1969-12-31 23:59:59+00", "1900-01-01", `\N`, "[]", "7", "-1e+300", "false", `\xff`},
	}, tableTextUTC(t, pg, schema+".p", []string{"id", "amount", "big", "at", "day", "name", "tags", "small", "ratio", "flag", "payload"}))
}

func days(t time.Time) int32 { return int32(t.Unix() / 86400) }

// twos writes i as an n-byte big-endian two's complement integer.
func twos(i *big.Int, n int) []byte {
	v := new(big.Int).Set(i)
	if v.Sign() < 0 {
		v.Add(v, new(big.Int).Lsh(big.NewInt(1), uint(n)*8))
	}
	out := make([]byte, n)
	return v.FillBytes(out)
}

func s3Env(t *testing.T) connectors.Env {
	t.Helper()
	policy, err := egress.New(true, "") // the fake listens on loopback, a private address
	require.NoError(t, err)
	return connectors.Env{Dialer: policy.Dialer(5 * time.Second)}
}

func s3Endpoint(srv *s3test.Server, env connectors.Env, prefix string) load.Endpoint {
	return load.Endpoint{Type: "s3", Env: env, Config: map[string]any{"bucket": s3test.Bucket, "endpoint": srv.URL,
		"region": "us-east-1", "force_path_style": true, "prefix": prefix, "format": "csv"}}
}

func TestS3Source_EachObjectLoadsOnce(t *testing.T) {
	pg := dbtest.NewPG(t)
	srv := s3test.New(t, "")
	env := s3Env(t)
	for _, n := range []string{"raw_orders", "raw_payments"} {
		b, err := os.ReadFile(jaffle(t, n+".csv"))
		require.NoError(t, err)
		srv.Put(t, "shop/"+n+".csv", b)
	}
	srv.Put(t, "shop/notes.txt", []byte("not a csv"))
	ordersHeader, orders := readCSV(t, jaffle(t, "raw_orders.csv"))
	require.Equal(t, []string{"id", "user_id", "order_date", "status"}, ordersHeader)

	// Orders: the glob picks one object of the prefix.
	spec := load.Spec{Pipeline: "s3_orders", Source: s3Endpoint(srv, env, "shop/"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "raw_orders", "files": {"glob": "raw_orders*.csv"}}`)}
	res, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(len(orders)), res.RowsLoaded)
	requireJaffle(t, pg, "raw", "raw_orders")
	require.Equal(t, int64(len(orders)), pg.Count(t, "SELECT count(*) FROM raw.raw_orders WHERE _dnk_file = 'shop/raw_orders.csv'"))

	// A second run finds nothing new and loads nothing.
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Zero(t, res.RowsLoaded)
	require.Equal(t, int64(len(orders)), pg.Count(t, "SELECT count(*) FROM raw.raw_orders"))

	// A new file loads alone, then a changed one loads again.
	srv.Put(t, "shop/raw_orders_2.csv", []byte("id,user_id,order_date,status\n100,1,2018-05-01,placed\n101,2,2018-05-02,shipped\n"))
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(2), res.RowsLoaded)
	require.Equal(t, int64(2), pg.Count(t, "SELECT count(*) FROM raw.raw_orders WHERE _dnk_file = 'shop/raw_orders_2.csv'"))
	require.Equal(t, "date", columnTypes(t, pg, "raw", "raw_orders")["order_date"])
	srv.Put(t, "shop/raw_orders_2.csv", []byte("id,user_id,order_date,status\n102,3,2018-05-03,placed\n"))
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(1), res.RowsLoaded)
	require.Equal(t, int64(len(orders)+3), pg.Count(t, "SELECT count(*) FROM raw.raw_orders"))

	// A run that fails leaves the state alone: the file it could not load loads next time.
	srv.Put(t, "shop/raw_orders_3.csv", []byte("id,user_id,order_date,status\n103,3,2018-05-03,\"open\n"))
	_, err = dbtest.RunLoad(t, spec)
	require.ErrorContains(t, err, "shop/raw_orders_3.csv: line 2: a quoted field is not closed")
	srv.Put(t, "shop/raw_orders_3.csv", []byte("id,user_id,order_date,status\n103,3,2018-05-03,placed\n"))
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(1), res.RowsLoaded)

	// full_database over the prefix, with a file column of another name: the table is named
	// after the prefix.
	res, err = dbtest.RunLoad(t, load.Spec{Pipeline: "s3_pay", Source: s3Endpoint(srv, env, "shop/"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"files": {"glob": "raw_payments.csv", "file_column": "source_key"}}`)})
	require.NoError(t, err)
	require.Equal(t, int64(113), pg.Count(t, "SELECT count(*) FROM raw.shop WHERE source_key = 'shop/raw_payments.csv'"))
}

func TestS3Source_EmptyPrefixFailsUnlessAllowed(t *testing.T) {
	pg := dbtest.NewPG(t)
	srv := s3test.New(t, "")
	env := s3Env(t)
	spec := load.Spec{Pipeline: "s3_empty", Source: s3Endpoint(srv, env, "nothing/"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "t"}`)}
	_, err := dbtest.RunLoad(t, spec)
	require.ErrorContains(t, err, `no csv file under prefix "nothing/"`)
	spec.Config = dbtest.MustConfig(t, `{"mode": "single_table", "table": "t", "files": {"allow_empty": true}}`)
	res, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Zero(t, res.RowsLoaded)
	require.Empty(t, res.Tables)
	require.Zero(t, pg.Count(t, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'"), "nothing is created")

	// The egress policy decides: a loopback endpoint is denied when private addresses are not.
	strict, err := egress.New(false, "")
	require.NoError(t, err)
	spec.Source = s3Endpoint(srv, connectors.Env{Dialer: strict.Dialer(5 * time.Second)}, "nothing/")
	_, err = dbtest.RunLoad(t, spec)
	require.ErrorContains(t, err, "egress denied")
}

func TestFileSource_ReplaceBuildsTheConfiguredPrimaryKey(t *testing.T) {
	pg := dbtest.NewPG(t)
	env := uploads(jaffle(t, "raw_customers.csv"))
	spec := load.Spec{Source: fileEndpoint(env, 1, "csv"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "customers", "write_disposition": "replace", "primary_key": "id"}`)}
	_, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	var key string
	require.NoError(t, pg.Conn.QueryRow(context.Background(), `SELECT a.attname FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = 'raw.customers'::regclass AND i.indisprimary`).Scan(&key))
	require.Equal(t, "id", key)

	spec.Config = dbtest.MustConfig(t, `{"mode": "single_table", "table": "customers", "write_disposition": "replace", "primary_key": "nope"}`)
	_, err = dbtest.RunLoad(t, spec)
	require.ErrorContains(t, err, `config.primary_key: column "nope" is not a column of the file`)
}

func TestParseURL_File(t *testing.T) {
	t.Parallel()
	p := writeTemp(t, "data.csv.gz", gz(t, "a\n1\n"))
	e, err := load.ParseURL("file://" + p)
	require.NoError(t, err)
	require.Equal(t, "file", e.Type)
	require.Equal(t, "csv", e.Config["format"])
	got, err := e.Env.Files(context.Background(), 1)
	require.NoError(t, err)
	require.Equal(t, p, got)

	noExt := writeTemp(t, "data", "{}")
	_, err = load.ParseURL("file://" + noExt)
	require.ErrorContains(t, err, "add ?format=csv")
	e, err = load.ParseURL("file://" + noExt + "?format=jsonl")
	require.NoError(t, err)
	require.Equal(t, "jsonl", e.Config["format"])
	_, err = load.ParseURL("file://" + noExt + "?format=xls")
	require.ErrorContains(t, err, `format "xls" is not one of`)
	_, err = load.ParseURL("file:///nowhere/x.csv")
	require.ErrorContains(t, err, "x.csv")
}

// Errors name the upload by its id, never by where the server keeps it.
func TestFileSource_ErrorsDoNotShowTheServersPath(t *testing.T) {
	pg := dbtest.NewPG(t)
	dir := t.TempDir() // a directory opens, and fails on read
	for _, format := range []string{"csv", "parquet"} {
		_, err := dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(uploads(dir), 1, format), Destination: pg.Endpoint(t),
			Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "t"}`)})
		require.Error(t, err, format)
		require.Contains(t, err.Error(), "file 1", format)
		require.NotContains(t, err.Error(), dir, format)
	}
	_, err := dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(uploads(), 1, "csv"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "t"}`)})
	require.ErrorContains(t, err, "file 1: no file 1")
}

// Parquet and gzip-compressed CSV objects under a prefix, through both copy paths.
func TestS3Source_ParquetAndGzipObjects(t *testing.T) {
	pg := dbtest.NewPG(t)
	srv := s3test.New(t, "")
	env := s3Env(t)
	for i := range 2 {
		var b bytes.Buffer
		require.NoError(t, parquet.Write(&b, []parquetRow{{ID: int64(i*10 + 1), Amount: 150, Big: twos(big.NewInt(1), 13),
			At: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Tags: []string{"x"}}}))
		srv.Put(t, fmt.Sprintf("pq/part-%d.parquet", i), b.Bytes())
		srv.Put(t, fmt.Sprintf("gz/part-%d.csv.gz", i), []byte(gz(t, fmt.Sprintf("id,day\n%d,2024-01-0%d\n", i+1, i+1))))
	}
	for _, verify := range []string{"count", "checksum"} {
		ep := s3Endpoint(srv, env, "pq/")
		ep.Config["format"] = "parquet"
		_, err := dbtest.RunLoad(t, load.Spec{Pipeline: "pq_" + verify, Source: ep, Destination: pg.Endpoint(t), DestinationSchema: "pq_" + verify,
			Config: dbtest.MustConfig(t, `{"verify": "`+verify+`"}`)})
		require.NoError(t, err)
		// An empty byte array is empty bytes, not NULL, on both paths.
		require.Equal(t, [][]string{{"1", "1.50", `["x"]`, `\x`, "pq/part-0.parquet"}, {"11", "1.50", `["x"]`, `\x`, "pq/part-1.parquet"}},
			tableText(t, pg, "pq_"+verify+".pq", []string{"id", "amount", "tags", "payload", "_dnk_file"}))

		ep = s3Endpoint(srv, env, "gz/")
		ep.Config["compression"] = "gzip"
		_, err = dbtest.RunLoad(t, load.Spec{Pipeline: "gz_" + verify, Source: ep, Destination: pg.Endpoint(t), DestinationSchema: "gz_" + verify,
			Config: dbtest.MustConfig(t, `{"verify": "`+verify+`"}`)})
		require.NoError(t, err)
		require.Equal(t, [][]string{{"1", "2024-01-01", "gz/part-0.csv.gz"}, {"2", "2024-01-02", "gz/part-1.csv.gz"}},
			tableText(t, pg, "gz_"+verify+".gz", []string{"id", "day", "_dnk_file"}))
	}
}

// The COPY text path and the decoding path store the same values.
func TestFileSource_BothPathsStoreTheSameValues(t *testing.T) {
	pg := dbtest.NewPG(t)
	csvText := "id,at,naive,amount,ok,u,doc\n" +
		"1,2024-01-01 10:00:00.1234567+0200,2024-01-01T10:00:00.9999999,+1.50,TRUE,6BA7B810-9DAD-11D1-80B4-00C04FD430C8,\"{\"\"a\"\": 1}\"\n" +
		"2,2024-01-01T10:00:00Z,2024-01-01,-1e3,f,,\n"
	env := uploads(writeTemp(t, "v.csv", csvText))
	cols := []string{"id", "at", "naive", "amount", "ok", "u", "doc"}
	var got [][][]string
	for _, verify := range []string{"count", "checksum"} {
		_, err := dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 1, "csv"), Destination: pg.Endpoint(t), DestinationSchema: verify,
			Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "v", "verify": "`+verify+`", "files": {"columns": {"doc": "json", "amount": "decimal"}}}`)})
		require.NoError(t, err, verify)
		got = append(got, tableTextUTC(t, pg, verify+".v", cols))
	}
	require.Equal(t, got[0], got[1])
	require.Equal(t, [][]string{
		{"1", "2024-01-01 08:00:00.123456+00", "2024-01-01 10:00:00.999999", "1.50", "true", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", `{"a": 1}`},
		{"2", "2024-01-01 10:00:00+00", "2024-01-01 00:00:00", "-1000", "false", `\N`, `\N`},
	}, got[0])
}

// A file source loads into MariaDB too (the decoding path: the COPY text path is PostgreSQL's).
func TestFileSource_IntoMariaDB(t *testing.T) {
	db, u := dbtest.MySQLDB(t)
	dst, err := load.ParseURL(u)
	require.NoError(t, err)
	_, name, _ := strings.Cut(strings.TrimPrefix(u, "mysql://"), "/")
	env := uploads(jaffle(t, "raw_orders.csv"))
	res, err := dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 1, "csv"), Destination: dst, DestinationSchema: name,
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "raw_orders"}`)})
	require.NoError(t, err)
	require.Equal(t, int64(99), res.RowsLoaded)
	var n int
	var day string
	require.NoError(t, db.QueryRow("SELECT count(*), CAST(MIN(order_date) AS CHAR) FROM raw_orders WHERE user_id = 1").Scan(&n, &day))
	require.Equal(t, 2, n)
	require.Equal(t, "2018-01-01", day)
	var dataType string
	require.NoError(t, db.QueryRow(`SELECT data_type FROM information_schema.columns WHERE table_schema = DATABASE()
AND table_name = 'raw_orders' AND column_name = 'order_date'`).Scan(&dataType))
	require.Equal(t, "date", dataType)
}

type parquetAddr struct {
	City string `parquet:"city"`
	Zip  int32  `parquet:"zip"`
}

type parquetNested struct {
	ID    int64            `parquet:"id"`
	Addr  parquetAddr      `parquet:"addr"`
	Attrs map[string]int64 `parquet:"attrs"`
}

// Structs and maps arrive as JSON, on both paths.
func TestFileSource_ParquetStructsAndMapsAsJSON(t *testing.T) {
	pg := dbtest.NewPG(t)
	var b bytes.Buffer
	require.NoError(t, parquet.Write(&b, []parquetNested{{ID: 1, Addr: parquetAddr{City: "Oslo", Zip: 150}, Attrs: map[string]int64{"a": 1}}}))
	env := uploads(writeTemp(t, "n.parquet", b.String()))
	for _, verify := range []string{"count", "checksum"} {
		_, err := dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 1, "parquet"), Destination: pg.Endpoint(t), DestinationSchema: verify,
			Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "n", "verify": "`+verify+`"}`)})
		require.NoError(t, err, verify)
		require.Equal(t, [][]string{{"1", `{"zip": 150, "city": "Oslo"}`, `{"a": 1}`}}, tableText(t, pg, verify+".n", []string{"id", "addr", "attrs"}), verify)
		require.Equal(t, "jsonb", columnTypes(t, pg, verify, "n")["addr"])
	}
}

// ListS3Objects answers, for a glob, exactly the objects a run with that glob loads: the
// connection's format only, matched after the prefix, ** across folders.
func TestListS3Objects_AreTheObjectsARunLoads(t *testing.T) {
	t.Parallel()
	pg := dbtest.NewPG(t)
	srv := s3test.New(t, "")
	env := s3Env(t)
	for _, k := range []string{"in/2024/01/a.csv", "in/2024/02/b.csv", "in/2024/02/b.json", "in/top.csv", "out/c.csv"} {
		srv.Put(t, k, []byte("id\n1\n"))
	}
	src := s3Endpoint(srv, env, "in/")
	list := func(glob string, limit int) ([]string, bool) {
		t.Helper()
		objs, more, err := load.ListS3Objects(context.Background(), src.Config, env, glob, limit)
		require.NoError(t, err)
		var keys []string
		for _, o := range objs {
			require.Positive(t, o.Size)
			require.NotEmpty(t, o.ETag)
			keys = append(keys, o.Key)
		}
		return keys, more
	}
	keys, more := list("2024/**/*.csv", 10)
	require.Equal(t, []string{"in/2024/01/a.csv", "in/2024/02/b.csv"}, keys)
	require.False(t, more)
	res, err := dbtest.RunLoad(t, load.Spec{Pipeline: "s3_list", Source: src, Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "t", "files": {"glob": "2024/**/*.csv"}}`)})
	require.NoError(t, err)
	require.Equal(t, int64(len(keys)), res.RowsLoaded)
	require.Equal(t, int64(2), pg.Count(t, `SELECT count(DISTINCT _dnk_file) FROM raw.t WHERE _dnk_file IN ('in/2024/01/a.csv', 'in/2024/02/b.csv')`))

	keys, more = list("", 2)
	require.Equal(t, []string{"in/2024/01/a.csv", "in/2024/02/b.csv"}, keys)
	require.True(t, more, "in/top.csv matches too")
	keys, _ = list("*.csv", 10)
	require.Equal(t, []string{"in/top.csv"}, keys, "* stays within a folder")
	keys, more = list("2025/*.csv", 10)
	require.Empty(t, keys)
	require.False(t, more)

	_, _, err = load.ListS3Objects(context.Background(), src.Config, env, "[abc", 10)
	var ge *load.GlobError
	require.ErrorAs(t, err, &ge)
}

// parquetKinds has a column of every parquet type the binary COPY path writes.
type parquetKinds struct {
	ID     int64    `parquet:"id"`
	I8     int8     `parquet:"i8,int(8)"`
	I16    int16    `parquet:"i16,int(16)"`
	U16    uint16   `parquet:"u16,uint(16)"`
	U32    uint32   `parquet:"u32,uint(32)"`
	U64    uint64   `parquet:"u64,uint(64)"`
	F32    float32  `parquet:"f32"`
	Str    string   `parquet:"str"`
	Enum   string   `parquet:"enum,enum"`
	JSON   string   `parquet:"js,json"`
	UUID   [16]byte `parquet:"uuid,uuid"`
	Raw    [3]byte  `parquet:"raw"`
	Dec32  int32    `parquet:"dec32,decimal(3:9)"`
	Day    int32    `parquet:"day,date"`
	TMs    int32    `parquet:"tms,time(millisecond)"`
	TUs    int64    `parquet:"tus,time(microsecond)"`
	TNs    int64    `parquet:"tns,time(nanosecond)"`
	TsMs   int64    `parquet:"tsms,timestamp(millisecond:local)"`
	TsNs   int64    `parquet:"tsns,timestamp(nanosecond:local)"`
	TsUTC  int64    `parquet:"tsutc,timestamp(microsecond:utc)"`
	Opt    *int64   `parquet:"opt,optional"`
	Nested []int32  `parquet:"nested,list"`
}

// Every parquet type loads the same through binary COPY as through the decoding path.
func TestFileSource_ParquetBinaryCopyEqualsTheDecodingPath(t *testing.T) {
	pg := dbtest.NewPG(t)
	seven := int64(7)
	rows := []parquetKinds{
		{ID: 1, I8: -128, I16: -32768, U16: 65535, U32: 4294967295, U64: 18446744073709551615, F32: 1.5, Str: "tab\tand \\ ünï",
			Enum: "A", JSON: `{"a": [1, 2.5]}`, UUID: [16]byte{1, 2, 3}, Raw: [3]byte{0, 0xff, 7}, Dec32: -123456789,
			Day: days(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)), TMs: 86399999, TUs: 1, TNs: 45296789123456,
			TsMs: time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC).UnixMilli(), TsNs: time.Date(1900, 1, 1, 0, 0, 0, 999999999, time.UTC).UnixNano(),
			TsUTC: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro(), Opt: &seven, Nested: []int32{1, 2}},
		{ID: 2, Str: "", JSON: `null`, Day: days(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)), TsUTC: -1, Nested: nil},
	}
	var b bytes.Buffer
	require.NoError(t, parquet.Write(&b, rows))
	env := uploads(writeTemp(t, "k.parquet", b.String()))
	cols := []string{"id", "i8", "i16", "u16", "u32", "u64", "f32", "str", "enum", "js", "uuid", "raw", "dec32", "day", "tms", "tus", "tns",
		"tsms", "tsns", "tsutc", "opt", "nested"}
	got := map[string][][]string{}
	for _, verify := range []string{"count", "checksum"} {
		beforeBinary := load.ParquetBinaryCopies()
		_, err := dbtest.RunLoad(t, load.Spec{Source: fileEndpoint(env, 1, "parquet"), Destination: pg.Endpoint(t), DestinationSchema: "k_" + verify,
			Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "k", "verify": "`+verify+`"}`)})
		require.NoError(t, err)
		require.Equal(t, verify == "count", load.ParquetBinaryCopies() == beforeBinary+1, "binary COPY with verify %s", verify)
		got[verify] = tableTextUTC(t, pg, "k_"+verify+".k", cols)
	}
	require.Equal(t, got["checksum"], got["count"])
	require.Equal(t, []string{"1", "-128", "-32768", "65535", "4294967295", "18446744073709551615", "1.5", "tab\tand \\ ünï", "A",
		`{"a": [1, 2.5]}`, "01020300-0000-0000-0000-000000000000", `\x00ff07`, "-123456.789", "2024-02-29", "23:59:59.999", "00:00:00.000001",
		"12:34:56.789123", "2024-01-02 03:04:05.006", "1900-01-01 00:00:00.999999", "9999-12-31 23:59:59.999999+00", "7", "[1, 2]"}, got["count"][0])
}
