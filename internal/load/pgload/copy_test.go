package pgload

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/testutil"
)

// chunked reads at most n bytes at a time, to split every frame of the stream somewhere.
type chunked struct {
	r io.Reader
	n int
}

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

func TestCopyFramer_CountsRowsHoweverTheStreamIsCut(t *testing.T) {
	t.Parallel()
	conn, err := pgx.Connect(context.Background(), testutil.AdminURL())
	require.NoError(t, err)
	defer func() { _ = conn.Close(context.Background()) }()
	var buf bytes.Buffer
	_, err = conn.PgConn().CopyTo(context.Background(), &buf, `COPY (SELECT g, CASE WHEN g % 3 = 0 THEN NULL ELSE repeat('x', g % 300) END, ''::text
		FROM generate_series(1, 25000) g) TO STDOUT (FORMAT binary)`)
	require.NoError(t, err)
	for _, n := range []int{1, 2, 3, 7, 4096, 1 << 20} {
		var progressed []int64
		f := &copyFramer{r: chunked{bytes.NewReader(buf.Bytes()), n}, progress: func(r int64) { progressed = append(progressed, r) }}
		out, err := io.ReadAll(f)
		require.NoError(t, err)
		require.Equal(t, buf.Len(), len(out))
		require.Equal(t, int64(25000), f.rows, "chunks of %d", n)
		require.Equal(t, []int64{10000, 20000}, progressed)
		require.Equal(t, int64(buf.Len()), f.bytes.Load())
	}
}
