package s3

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func parquetFile(t *testing.T) []byte {
	t.Helper()
	type row struct {
		ID    int64   `parquet:"id"`
		Name  string  `parquet:"name"`
		Price float64 `parquet:"price"`
	}
	var buf bytes.Buffer
	require.NoError(t, parquet.Write(&buf, []row{{1, "a", 1.5}, {2, "b", 2}}))
	return buf.Bytes()
}

func cols(kv ...string) []connectors.Column {
	out := []connectors.Column{}
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, connectors.Column{Name: kv[i], Type: kv[i+1], Nullable: true})
	}
	return out
}

func TestS3_CatalogRecognisesEachFormat(t *testing.T) {
	t.Parallel()
	csv := []byte("id,name,amount\n1,a,1.5\n2,b,2\n")
	tsv := []byte("id\tname\n1\ta\n")
	jsonl := []byte("{\"x\":1,\"y\":\"a\"}\n{\"x\":2,\"y\":\"b\"}\n")
	jsonDoc := []byte("[{\"x\":1,\"when\":\"2024-01-02\"},{\"x\":2}]")
	cases := map[string]struct {
		format, compression string
		key                 string
		body                []byte
		want                []connectors.Column
	}{
		"csv":        {"csv", "none", "in/orders.csv", csv, cols("id", "integer", "name", "string", "amount", "number")},
		"tsv":        {"tsv", "none", "in/orders.tsv", tsv, cols("id", "integer", "name", "string")},
		"jsonl":      {"jsonl", "none", "in/orders.jsonl", jsonl, cols("x", "integer", "y", "string")},
		"ndjson":     {"jsonl", "none", "in/orders.ndjson", jsonl, cols("x", "integer", "y", "string")},
		"json":       {"json", "none", "in/orders.json", jsonDoc, cols("when", "date", "x", "integer")},
		"csv gzip":   {"csv", "gzip", "in/orders.csv.gz", gz(t, csv), cols("id", "integer", "name", "string", "amount", "number")},
		"jsonl gzip": {"jsonl", "gzip", "in/orders.jsonl.gz", gz(t, jsonl), cols("x", "integer", "y", "string")},
		"parquet":    {"parquet", "none", "in/orders.parquet", parquetFile(t), cols("id", "integer", "name", "string", "price", "number")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, testKeyID)
			f.put(t, tc.key, tc.body)
			// Around it: other formats, the other compression, another prefix, a folder marker.
			f.put(t, "in/readme.txt", []byte("hello"))
			f.put(t, "in/other.xlsx", []byte("PK"))
			f.put(t, "in/sub/", nil)
			f.put(t, "out/orders.csv", csv)
			f.put(t, strings.TrimSuffix(tc.key, ".gz")+".bak", tc.body)
			if tc.compression == "none" {
				f.put(t, tc.key+".gz", gz(t, tc.body))
			}
			c := open(t, f.config("prefix", "in/", "format", tc.format, "compression", tc.compression), connectors.Env{})
			cat, err := c.Catalog(bg())
			require.NoError(t, err)
			require.Equal(t, []connectors.Schema{{Name: "data", Tables: []connectors.Table{
				{Name: "orders", Kind: connectors.KindTable, Columns: tc.want},
			}}}, cat)
		})
	}
}

func TestS3_CatalogListsUnreadableFilesWithNoColumns(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	f.put(t, "binary.csv", []byte{0, 1, 2, 3, 0xff, 0})
	f.put(t, "empty.csv", nil)
	f.put(t, "tabs.csv", []byte("a\tb\tc\n1\t2\t3\n"))        // tsv content, csv config
	f.put(t, "parquet.csv", parquetFile(t))                   // not text at all
	f.put(t, "broken.csv.gz", []byte{0x1f, 0x8b, 8, 0, 1, 2}) // not gzip once read
	f.put(t, "good.csv", []byte("a\n1\n"))
	cat, err := open(t, f.config(), connectors.Env{}).Catalog(bg())
	require.NoError(t, err)
	got := map[string][]connectors.Column{}
	for _, tb := range cat[0].Tables {
		got[tb.Name] = tb.Columns
	}
	require.Equal(t, map[string][]connectors.Column{
		"binary": {}, "empty": {}, "tabs": {}, "parquet": {}, "good": cols("a", "integer"),
	}, got, "a .csv.gz file is not a csv file when compression is none")

	cat, err = open(t, f.config("compression", "gzip"), connectors.Env{}).Catalog(bg())
	require.NoError(t, err)
	require.Equal(t, []connectors.Table{{Name: "broken", Kind: connectors.KindTable, Columns: []connectors.Column{}}}, cat[0].Tables)
}

func TestS3_CatalogOfAnEmptyPrefixIsOneEmptySchema(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	cat, err := open(t, f.config("prefix", "nothing/"), connectors.Env{}).Catalog(bg())
	require.NoError(t, err)
	require.Equal(t, []connectors.Schema{{Name: "data", Tables: []connectors.Table{}}}, cat)

	_, err = open(t, f.config("bucket", "missing-bucket"), connectors.Env{}).Catalog(bg())
	require.EqualError(t, err, `bucket "missing-bucket" does not exist`)
}

// A big file is sampled, not downloaded: the catalog reads a bounded prefix of a text file and
// the footer of a parquet file.
func TestS3_CatalogReadsABoundedSampleOfEachFile(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	big := append([]byte("id,note\n"), bytes.Repeat([]byte("12345,some longer text to fill the file up\n"), 100_000)...) // 4.3 MB
	f.put(t, "big.csv", big)
	cat, err := open(t, f.config(), connectors.Env{}).Catalog(bg())
	require.NoError(t, err)
	require.Equal(t, cols("id", "integer", "note", "string"), cat[0].Tables[0].Columns)
	require.Less(t, f.Sent(), int64(sampleBytes+64<<10), "only the sample travels")
	t.Logf("csv of %d bytes: %d bytes read", len(big), f.Sent())

	type row struct {
		ID   int64  `parquet:"id"`
		Note string `parquet:"note"`
	}
	rows := make([]row, 200_000)
	for i := range rows {
		rows[i] = row{int64(i), strings.Repeat("x", i%50)}
	}
	var buf bytes.Buffer
	require.NoError(t, parquet.Write(&buf, rows, parquet.Compression(&parquet.Uncompressed)))
	require.Greater(t, buf.Len(), 4<<20)
	f2 := newFake(t, testKeyID)
	f2.put(t, "big.parquet", buf.Bytes())
	cat, err = open(t, f2.config("format", "parquet"), connectors.Env{}).Catalog(bg())
	require.NoError(t, err)
	require.Equal(t, cols("id", "integer", "note", "string"), cat[0].Tables[0].Columns)
	require.Less(t, f2.Sent(), int64(2*blockSize+64<<10), "only the footer (and its page index) travels")
	t.Logf("parquet of %d bytes: %d bytes read", buf.Len(), f2.Sent())
}

func TestS3_TableNamesAreSanitizedAndUnique(t *testing.T) {
	t.Parallel()
	c := &Connector{cfg: Config{Prefix: "exports/", Format: "csv", Compression: "none"}}
	objs := []Object{
		{Key: "exports/Orders.CSV"}, {Key: "exports/orders.csv"}, {Key: "exports/2024/Q1 sales (final).csv"},
		{Key: "exports/ünïcode.csv"}, {Key: "exports/---.csv"}, {Key: "exports/" + strings.Repeat("a", 80) + ".csv"},
		{Key: "exports/" + strings.Repeat("a", 80) + "b.csv"}, {Key: "exports/orders-2.csv"},
	}
	require.Equal(t, []string{
		"orders", "orders_2", "t_2024_q1_sales_final", "n_code", "file", strings.Repeat("a", 63),
		strings.Repeat("a", 61) + "_2", "orders_2_2",
	}, tableNames(c, objs))
	require.Equal(t, "my_bucket_v2", identifier("My-Bucket.v2", "s3"))
}
