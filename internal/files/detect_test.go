package files

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"
)

func detectBytes(t *testing.T, b []byte) (Detection, error) {
	t.Helper()
	return Detect(bytes.NewReader(b), int64(len(b)))
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestDetect_CSVWithInferredTypes(t *testing.T) {
	t.Parallel()
	d, err := detectBytes(t, []byte("id,name,amount,active,ordered_at,day\n1,Ada,10.50,true,2024-01-02T03:04:05Z,2024-01-02\n2,\"Lovelace, A\",3,false,2024-02-02 10:00:00,2024-02-03\n"))
	require.NoError(t, err)
	require.Equal(t, FormatCSV, d.Format)
	require.Equal(t, "none", d.Compression)
	require.Equal(t, []Column{
		{"id", "integer"}, {"name", "string"}, {"amount", "number"}, {"active", "boolean"}, {"ordered_at", "timestamp"}, {"day", "date"},
	}, d.Columns)
}

func TestDetect_TheJaffleShopSeeds(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "datasets", "jaffle_shop", "raw_orders.csv"))
	if os.IsNotExist(err) {
		t.Skip("SKIPPED: ../shared/datasets is not beside the repository")
	}
	require.NoError(t, err)
	d, err := detectBytes(t, b)
	require.NoError(t, err)
	require.Equal(t, FormatCSV, d.Format)
	require.Equal(t, "id", d.Columns[0].Name)
	require.Equal(t, "integer", d.Columns[0].Type)
	require.Equal(t, "date", d.Columns[2].Type)
}

func TestDetect_TSVAndGzip(t *testing.T) {
	t.Parallel()
	d, err := detectBytes(t, gz(t, []byte("a\tb\n1\tx\n2\ty\n")))
	require.NoError(t, err)
	require.Equal(t, FormatTSV, d.Format)
	require.Equal(t, "gzip", d.Compression)
	require.Equal(t, []Column{{"a", "integer"}, {"b", "string"}}, d.Columns)
}

func TestDetect_JSONLinesAndJSONArrays(t *testing.T) {
	t.Parallel()
	d, err := detectBytes(t, []byte("{\"id\":1,\"tags\":[\"a\"]}\n{\"id\":2,\"name\":\"x\"}\n"))
	require.NoError(t, err)
	require.Equal(t, FormatJSONL, d.Format)
	require.Equal(t, []Column{{"id", "integer"}, {"name", "string"}, {"tags", "json"}}, d.Columns)

	d, err = detectBytes(t, []byte(`[{"id": 1.5, "ok": true}, {"id": 2, "ok": false}]`))
	require.NoError(t, err)
	require.Equal(t, FormatJSON, d.Format)
	require.Equal(t, []Column{{"id", "number"}, {"ok", "boolean"}}, d.Columns)
}

func TestDetect_Parquet(t *testing.T) {
	t.Parallel()
	type row struct {
		ID    int64   `parquet:"id"`
		Name  string  `parquet:"name"`
		Price float64 `parquet:"price"`
	}
	var buf bytes.Buffer
	require.NoError(t, parquet.Write(&buf, []row{{1, "a", 1.5}, {2, "b", 2}}))
	d, err := detectBytes(t, buf.Bytes())
	require.NoError(t, err)
	require.Equal(t, FormatParquet, d.Format)
	require.Equal(t, []Column{{"id", "integer"}, {"name", "string"}, {"price", "number"}}, d.Columns)
}

func TestDetect_SQLiteByMagic(t *testing.T) {
	t.Parallel()
	d, err := detectBytes(t, append([]byte("SQLite format 3\x00"), make([]byte, 100)...))
	require.NoError(t, err)
	require.Equal(t, FormatSQLite, d.Format)
}

func TestDetect_RejectsWhatItCannotRead(t *testing.T) {
	t.Parallel()
	for name, b := range map[string][]byte{
		"empty":          {},
		"binary":         {0x00, 0x01, 0x02, 0xff, 0x00},
		"broken json":    []byte(`{"a": `),
		"array of words": []byte(`["a", "b"]`),
		"bad gzip":       {0x1f, 0x8b, 0x00},
		"bad parquet":    []byte("PAR1 not really"),
	} {
		_, err := detectBytes(t, b)
		require.Error(t, err, name)
	}
}

func FuzzDetect_NeverPanics(f *testing.F) {
	f.Add([]byte("a,b\n1,2\n"))
	f.Add([]byte(`[{"a":1}]`))
	f.Add([]byte("PAR1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Detect(bytes.NewReader(b), int64(len(b)))
	})
}
