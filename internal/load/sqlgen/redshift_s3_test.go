package sqlgen

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/s3"
	"github.com/datanika/datanika/internal/connectors/s3/s3test"
	"github.com/datanika/datanika/internal/load"
)

const stagingKeyID = "AKIDSTAGING"

// stagingStore is the s3 connector on a fake S3 server, as openRedshift builds it.
func stagingStore(t *testing.T) (*s3test.Server, *s3.Connector) {
	t.Helper()
	srv := s3test.New(t, stagingKeyID)
	store, err := s3.New(map[string]any{"bucket": s3test.Bucket, "prefix": "stage/", "endpoint": srv.URL, "region": "us-east-1",
		"force_path_style": true, "access_key_id": stagingKeyID, "secret_access_key": "sk", "format": "csv", "compression": "gzip"}, connectors.Env{})
	require.NoError(t, err)
	return srv, store
}

// object reads an object straight from the fake's backend.
func object(t *testing.T, srv *s3test.Server, key string) []byte {
	t.Helper()
	obj, err := srv.Backend.GetObject(s3test.Bucket, key, nil)
	require.NoError(t, err)
	defer func() { _ = obj.Contents.Close() }()
	b, err := io.ReadAll(obj.Contents)
	require.NoError(t, err)
	return b
}

// records gunzips and parses a part file with encoding/csv.
func records(t *testing.T, gz []byte) [][]string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	r := csv.NewReader(zr)
	r.FieldsPerRecord = -1
	out, err := r.ReadAll()
	require.NoError(t, err)
	return out
}

var hostileColumns = []load.Column{
	{Name: "id", Type: load.Type{Kind: load.KindInt64}},
	{Name: "txt", Type: load.Type{Kind: load.KindText}},
	{Name: "amount", Type: load.Type{Kind: load.KindDecimal, Precision: 38, Scale: 10}},
	{Name: "raw", Type: load.Type{Kind: load.KindBytes}},
	{Name: "at", Type: load.Type{Kind: load.KindTimestamp}},
	{Name: "at_tz", Type: load.Type{Kind: load.KindTimestampTZ}},
	{Name: "day", Type: load.Type{Kind: load.KindDate}},
	{Name: "doc", Type: load.Type{Kind: load.KindJSON}},
	{Name: "ratio", Type: load.Type{Kind: load.KindFloat64}},
	{Name: "ok", Type: load.Type{Kind: load.KindBool}},
	{Name: "uid", Type: load.Type{Kind: load.KindUUID}},
	{Name: "dropped", Type: load.Type{Kind: load.KindText}},
}

func numeric(t *testing.T, s string) any {
	t.Helper()
	n, err := load.ParseNumeric(s)
	require.NoError(t, err)
	return n
}

func TestS3Files_HostileValuesRoundTripThroughGzipCSV(t *testing.T) {
	t.Parallel()
	srv, store := stagingStore(t)
	paris := time.FixedZone("CEST", 2*3600)
	rows := [][]any{
		{int64(1), `a,b "quoted" ""`, numeric(t, bigDecimal), []byte{0x00, 0xff, '"', ','}, time.Date(2024, 2, 29, 23, 59, 59, 123456000, time.UTC),
			time.Date(2024, 7, 1, 2, 0, 0, 500000000, paris), time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), `{"k": "v,\"w\"", "n": [1, 2.50]}`,
			0.1, true, [16]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8}, "not written"},
		{int64(-2), "line1\nline2\ttab", numeric(t, "-0.0000000001"), []byte{}, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), `[]`, math.Inf(-1), false, nil, nil},
		{int64(3), "", numeric(t, "0"), nil, nil, nil, nil, nil, nil, nil, nil, "x"},
		{int64(4), nil, nil, nil, nil, nil, nil, nil, math.NaN(), nil, nil, nil},
		{int64(5), "Kéy ключ 🚀 \u00a0 \\N-like", numeric(t, "99999999999999999999999999.9999999999"), []byte("é"), nil, nil, nil, `"é"`, 1e300, nil, nil, nil},
	}
	want := [][]string{
		{"1", `a,b "quoted" ""`, bigDecimal, `00ff222c`, "2024-02-29 23:59:59.123456", "2024-07-01 00:00:00.5+00:00", "1999-12-31",
			`{"k": "v,\"w\"", "n": [1, 2.50]}`, "0.1", "true", "12345678-9abc-def0-0102-030405060708"},
		{"-2", "line1\nline2\ttab", "-0.0000000001", "", "0001-01-01 00:00:00", "2024-01-01 00:00:00+00:00", "2024-01-01", `[]`, "-Infinity", "false", `\N`},
		{"3", "", "0", `\N`, `\N`, `\N`, `\N`, `\N`, `\N`, `\N`, `\N`},
		{"4", `\N`, `\N`, `\N`, `\N`, `\N`, `\N`, `\N`, "NaN", `\N`, `\N`},
		{"5", "Kéy ключ 🚀 \u00a0 \\N-like", "99999999999999999999999999.9999999999", "c3a9", `\N`, `\N`, `\N`, `"é"`, "1e+300", `\N`, `\N`},
	}
	keep := make([]bool, len(hostileColumns))
	for i := range keep {
		keep[i] = hostileColumns[i].Name != "dropped"
	}
	st := &S3Staging{Store: store, IAMRole: "arn:aws:iam::123456789012:role/r"}
	f := st.files("run1", "raw", "orders")
	n, err := f.Write(context.Background(), hostileColumns, keep, false, batchesOf(hostileColumns, 2, rows))
	require.NoError(t, err)
	require.Equal(t, int64(len(rows)), n)
	require.Len(t, f.parts, 1)
	got := records(t, object(t, srv, f.parts[0]))
	require.Equal(t, want, got)

	// What tells NULL from an empty string is the quoting, which encoding/csv hides: the
	// empty text is "" and NULL a bare \N.
	raw := gunzip(t, object(t, srv, f.parts[0]))
	require.Contains(t, raw, "\n3,\"\",0,\\N,")
	require.Contains(t, raw, "\n4,\\N,\\N,")
}

func gunzip(t *testing.T, gz []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	b, err := io.ReadAll(zr)
	require.NoError(t, err)
	return string(b)
}

// batchesOf serves rows in batches of size.
func batchesOf(cols []load.Column, size int, rows [][]any) func() (*load.Batch, error) {
	b := load.NewBatch(cols, size)
	i := 0
	return func() (*load.Batch, error) {
		if i >= len(rows) {
			return nil, nil
		}
		b.Reset()
		for ; i < len(rows) && !b.Full(size); i++ {
			copy(b.Next(), rows[i])
		}
		return b, nil
	}
}

var seqColumns = []load.Column{{Name: "id", Type: load.Type{Kind: load.KindInt64}}, {Name: "name", Type: load.Type{Kind: load.KindText}}}

func seqRows(n int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{int64(i), fmt.Sprintf("name %d, with a comma", i)}
	}
	return rows
}

func TestS3Files_RotatesPartsAndTheManifestListsExactlyThem(t *testing.T) {
	t.Parallel()
	srv, store := stagingStore(t)
	st := &S3Staging{Store: store, IAMRole: "arn:aws:iam::123456789012:role/r", Region: "eu-west-1", PartSize: 200}
	f := st.files("run-7", "raw data", `Order "Lines"`)
	require.Regexp(t, regexp.MustCompile(`^stage/dnk-run-7/[0-9a-f]{12}/$`), f.dir)
	require.Equal(t, &S3Source{Manifest: "s3://data/" + f.dir + "manifest.json", IAMRole: "arn:aws:iam::123456789012:role/r", Region: "eu-west-1"},
		f.source())

	n, err := f.Write(context.Background(), seqColumns, []bool{true, true}, true, batchesOf(seqColumns, 7, seqRows(40)))
	require.NoError(t, err)
	require.Equal(t, int64(40), n)
	require.Greater(t, len(f.parts), 3, "200-byte parts")

	var entries []string
	for i := range f.parts {
		entries = append(entries, fmt.Sprintf(`{"url":"s3://data/%spart-%05d.csv.gz","mandatory":true}`, f.dir, i+1))
	}
	require.JSONEq(t, `{"entries":[`+strings.Join(entries, ",")+`]}`, string(object(t, srv, f.dir+"manifest.json")))
	require.ElementsMatch(t, append([]string{f.dir + "manifest.json"}, f.parts...), srv.Keys(t))

	// Every row once, in order, each with its ordinal (merge's _dnk_seq), across the parts.
	var all [][]string
	for _, k := range f.parts {
		recs := records(t, object(t, srv, k))
		require.NotEmpty(t, recs, "no empty part after a rotation")
		all = append(all, recs...)
	}
	require.Len(t, all, 40)
	for i, r := range all {
		require.Equal(t, []string{fmt.Sprint(i), fmt.Sprintf("name %d, with a comma", i), fmt.Sprint(i + 1)}, r)
	}

	require.NoError(t, f.Remove(context.Background()))
	require.Empty(t, srv.Keys(t))
}

func TestS3Files_NoRowsStillMakeOneFileForTheManifest(t *testing.T) {
	t.Parallel()
	srv, store := stagingStore(t)
	f := (&S3Staging{Store: store, IAMRole: "r"}).files("r", "s", "t")
	n, err := f.Write(context.Background(), seqColumns, []bool{true, true}, false, batchesOf(seqColumns, 3, nil))
	require.NoError(t, err)
	require.Zero(t, n)
	require.Len(t, f.parts, 1)
	require.Empty(t, records(t, object(t, srv, f.parts[0])))
	require.JSONEq(t, fmt.Sprintf(`{"entries":[{"url":"s3://data/%spart-00001.csv.gz","mandatory":true}]}`, f.dir),
		string(object(t, srv, f.dir+"manifest.json")))
}

// failingStore fails the upload of one part after reading part of it.
type failingStore struct {
	ObjectStore
	failPart string
}

func (s failingStore) Put(ctx context.Context, key string, r io.Reader) error {
	if strings.HasSuffix(key, s.failPart) {
		_, _ = io.CopyN(io.Discard, r, 10)
		return errors.New("connection reset by peer")
	}
	return s.ObjectStore.Put(ctx, key, r)
}

func TestS3Bulk_FailuresLeaveNoObjects(t *testing.T) {
	t.Parallel()
	sc := &Script{Dialect: "redshift", StageColumns: []string{"id", "name"},
		Load: []Statement{{SQL: "COPY never run"}}}
	cases := map[string]func(st *S3Staging) (context.Context, func() (*load.Batch, error), string){
		"the source fails after parts were uploaded": func(*S3Staging) (context.Context, func() (*load.Batch, error), string) {
			inner := batchesOf(seqColumns, 5, seqRows(50))
			calls := 0
			return context.Background(), func() (*load.Batch, error) {
				if calls++; calls == 6 {
					return nil, errors.New("source went away")
				}
				return inner()
			}, "source went away"
		},
		"an upload fails mid-file": func(st *S3Staging) (context.Context, func() (*load.Batch, error), string) {
			st.Store = failingStore{ObjectStore: st.Store, failPart: "part-00003.csv.gz"}
			return context.Background(), batchesOf(seqColumns, 5, seqRows(50)), "connection reset by peer"
		},
		"the run is cancelled": func(*S3Staging) (context.Context, func() (*load.Batch, error), string) {
			ctx, cancel := context.WithCancel(context.Background())
			inner := batchesOf(seqColumns, 5, seqRows(50))
			calls := 0
			return ctx, func() (*load.Batch, error) {
				if calls++; calls == 5 {
					cancel()
				}
				return inner()
			}, "context canceled"
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, store := stagingStore(t)
			st := &S3Staging{Store: store, IAMRole: "r", PartSize: 100}
			ctx, next, want := setup(st)
			f := st.files("run", "s", "t")
			_, err := f.bulk(&Destination{})(ctx, nil, sc, seqColumns, []bool{true, true}, next)
			require.ErrorContains(t, err, want)
			require.GreaterOrEqual(t, len(f.parts), 2, "the failure came after some files")
			require.Empty(t, srv.Keys(t))
		})
	}
}

// TestS3Staging_DestinationCopiesItsOwnManifestThenDeletesTheFiles drives the Destination on
// the PostgreSQL stand-in with the real staging path: the rows go to the fake S3, the COPY
// (which PostgreSQL cannot run, so it is recorded instead) names this load's manifest while
// the files are there, and they are gone once Copy returns.
func TestS3Staging_DestinationCopiesItsOwnManifestThenDeletesTheFiles(t *testing.T) {
	t.Parallel()
	srv, store := stagingStore(t)
	conn := standIn(t)
	db, err := sql.Open("pgx", conn.Config().ConnString())
	require.NoError(t, err)
	var copies []string
	var keysAtCopy []string
	d := &Destination{DB: db, Dialect: Redshift, Schema: "raw data",
		Staging: &S3Staging{Store: store, AccessKeyID: stagingKeyID, SecretAccessKey: "sk", Region: "eu-west-1"},
		Rewrite: func(s string) string {
			switch {
			case strings.HasPrefix(s, "SET enable_case_sensitive_identifier"):
				return ""
			case strings.HasPrefix(s, "COPY "):
				copies = append(copies, s)
				keysAtCopy = srv.Keys(t)
				return ""
			}
			return asPostgres(s)
		}}
	t.Cleanup(func() { _ = d.Close() })
	ctx := context.Background()
	l, err := d.Begin(ctx, destPlan(load.Merge, "r1", destColumns, evolve()))
	require.NoError(t, err)
	defer l.Abort()
	n, err := l.Copy(ctx, batchOf(t, destColumns, []any{int64(1), "x", "1"}, []any{int64(2), "y,\"z\"", nil}))
	require.NoError(t, err)
	require.Equal(t, int64(2), n)

	tl := l.(*tableLoad)
	manifest := tl.files.manifestKey()
	require.True(t, strings.HasPrefix(manifest, "stage/dnk-r1/"))
	require.Equal(t, []string{redshiftDialect{}.copyFromS3(tl.sc.Stage, tl.sc.StageColumns, tl.files.source()).SQL}, copies)
	require.Contains(t, copies[0], "FROM 's3://data/"+manifest+"' ")
	require.Contains(t, copies[0], "REGION 'eu-west-1'")
	require.ElementsMatch(t, append([]string{manifest}, tl.files.parts...), keysAtCopy)
	require.Empty(t, srv.Keys(t), "the files are deleted once COPY has read them")
}
