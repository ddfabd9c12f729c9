package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

func TestS3_FilesListsTheDataFilesInKeyOrder(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	f.put(t, "in/b.jsonl", []byte("{}\n"))
	f.put(t, "in/a/1.jsonl", []byte("{\"a\":1}\n"))
	f.put(t, "in/c.csv", []byte("a\n"))
	f.put(t, "other/d.jsonl", []byte("{}\n"))
	got, err := open(t, f.config("prefix", "in/", "format", "jsonl"), connectors.Env{}).Files(bg())
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "in/a/1.jsonl", got[0].Key)
	require.Equal(t, int64(8), got[0].Size)
	require.NotEmpty(t, got[0].ETag)
	require.False(t, got[0].LastModified.IsZero())
	require.Equal(t, "in/b.jsonl", got[1].Key)
}

func TestS3_PutOpenAndOpenAtRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	c := open(t, f.config("prefix", "out/", "compression", "gzip"), connectors.Env{})
	format, compression := c.Format()
	require.Equal(t, []string{"csv", "gzip"}, []string{format, compression})
	body := make([]byte, putPartSize+12345) // two parts
	_, _ = rand.Read(body)
	key := c.Key("run-1/orders.csv.gz")
	require.Equal(t, "out/run-1/orders.csv.gz", key)
	require.NoError(t, c.Put(bg(), key, struct{ io.Reader }{bytes.NewReader(body)})) // no size known

	files, err := c.Files(bg())
	require.NoError(t, err)
	require.Equal(t, []string{key}, []string{files[0].Key})
	require.Equal(t, int64(len(body)), files[0].Size)

	rc, err := c.Open(bg(), key)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.True(t, bytes.Equal(body, got))

	ra, err := c.OpenAt(bg(), key)
	require.NoError(t, err)
	require.Equal(t, int64(len(body)), ra.Size())
	for _, off := range []int64{0, 5, blockSize - 3, blockSize * 7, int64(len(body)) - 100} {
		p := make([]byte, 300)
		n, err := ra.ReadAt(p, off)
		want := body[off:min(off+300, int64(len(body)))]
		require.Equal(t, len(want), n)
		require.Equal(t, want, p[:n])
		if n < len(p) {
			require.ErrorIs(t, err, io.EOF)
		} else {
			require.NoError(t, err)
		}
	}
	p := make([]byte, 3*blockSize+17) // spans blocks, some cached already
	n, err := ra.ReadAt(p, blockSize-3)
	require.NoError(t, err)
	require.Equal(t, body[blockSize-3:blockSize-3+int64(n)], p)
	_, err = ra.ReadAt(p, int64(len(body)))
	require.ErrorIs(t, err, io.EOF)
	require.NoError(t, ra.Close())
}

func TestS3_OpenAtReadsParquet(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	c := open(t, f.config("format", "parquet"), connectors.Env{})
	require.NoError(t, c.Put(bg(), "t.parquet", bytes.NewReader(parquetFile(t))))
	ra, err := c.OpenAt(bg(), "t.parquet")
	require.NoError(t, err)
	type row struct {
		ID    int64   `parquet:"id"`
		Name  string  `parquet:"name"`
		Price float64 `parquet:"price"`
	}
	rows, err := parquet.Read[row](ra, ra.Size())
	require.NoError(t, err)
	require.Equal(t, []row{{1, "a", 1.5}, {2, "b", 2}}, rows)
}

func TestS3_KeysOutsideThePrefixAreRefused(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	f.put(t, "secret/x.csv", []byte("a\n1\n"))
	c := open(t, f.config("prefix", "in/"), connectors.Env{})
	for _, key := range []string{"secret/x.csv", "in/", "in/../secret/x.csv", "in/a/", "in/a\nb.csv", "", "in/./x.csv"} {
		_, err := c.Open(bg(), key)
		require.Error(t, err, key)
		_, err = c.OpenAt(bg(), key)
		require.Error(t, err, key)
		require.Error(t, c.Put(bg(), key, bytes.NewReader([]byte("x"))), key)
	}
	require.Zero(t, f.Requests(), "refused before any request")
}

func TestS3_OpenSaysWhenTheObjectIsMissing(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	c := open(t, f.config(), connectors.Env{})
	_, err := c.Open(bg(), "missing.csv")
	require.ErrorContains(t, err, `object "missing.csv" does not exist`)
	_, err = c.OpenAt(bg(), "missing.csv")
	require.Error(t, err)
}

type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, r.err
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

// A failed upload is aborted: no object appears and no multipart upload stays open.
func TestS3_PutThatFailsLeavesNothing(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	c := open(t, f.config(), connectors.Env{})
	boom := errors.New("source broke")
	for _, size := range []int{100, putPartSize + 100} { // in the first part, after one part
		err := c.Put(bg(), "partial.csv", &failingReader{n: size, err: boom})
		require.ErrorIs(t, err, boom)
	}
	files, err := c.Files(bg())
	require.NoError(t, err)
	require.Empty(t, files)
	ctx, cancel := context.WithCancel(bg())
	defer cancel()
	for u := range c.client.ListIncompleteUploads(ctx, testBucket, "", true) {
		require.NoError(t, u.Err)
		t.Fatalf("an upload was left open: %s", u.Key)
	}
}

func TestS3_PutSaysWhenTheBucketIsMissing(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	err := open(t, f.config("bucket", "gone-bucket"), connectors.Env{}).Put(bg(), "x.csv", bytes.NewReader([]byte("a\n")))
	require.EqualError(t, err, `bucket "gone-bucket" does not exist`)
}

// An object changed after it was listed is not read in its new version.
func TestS3_OpenListedReadsTheVersionListed(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	f.put(t, "exports/a.csv", []byte("id\n1\n"))
	c := open(t, f.config("prefix", "exports/"), connectors.Env{})
	objs, err := c.Files(bg())
	require.NoError(t, err)
	require.Len(t, objs, 1)

	r, err := c.OpenListed(bg(), objs[0])
	require.NoError(t, err)
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, "id\n1\n", string(b))
	require.NoError(t, r.Close())

	f.put(t, "exports/a.csv", []byte("id\n2\n"))
	_, err = c.OpenListed(bg(), objs[0])
	require.ErrorContains(t, err, "changed after it was listed")
	ra, err := c.OpenListedAt(bg(), objs[0])
	require.NoError(t, err)
	_, err = ra.ReadAt(make([]byte, 3), 0)
	require.ErrorContains(t, err, `object "exports/a.csv" changed while it was read`)

	_, err = c.OpenListed(bg(), Object{Key: "elsewhere/b.csv"})
	require.ErrorContains(t, err, "is not a file under the connection's prefix")
}

func TestS3_MatchKeepsWhatItIsToldAndRefusesAPrefixTooBroad(t *testing.T) {
	t.Parallel()
	f := newFake(t, testKeyID)
	for _, k := range []string{"in/a.csv", "in/b.csv", "in/c.csv", "in/d.json"} {
		f.put(t, k, []byte("a\n1\n"))
	}
	c := open(t, f.config("prefix", "in/", "format", "csv"), connectors.Env{})
	keys := func(objs []Object) []string {
		var out []string
		for _, o := range objs {
			out = append(out, o.Key)
		}
		return out
	}
	got, more, err := c.Match(bg(), func(k string) bool { return k != "in/b.csv" }, 10)
	require.NoError(t, err)
	require.Equal(t, []string{"in/a.csv", "in/c.csv"}, keys(got))
	require.False(t, more)
	got, more, err = c.Match(bg(), func(string) bool { return true }, 1)
	require.NoError(t, err)
	require.Equal(t, []string{"in/a.csv"}, keys(got))
	require.True(t, more)

	// Past MaxFiles data files a run refuses the prefix, and so does a listing that is still
	// looking for matches.
	c.maxScan = 2
	_, _, err = c.Match(bg(), func(string) bool { return false }, 10)
	require.ErrorContains(t, err, `more than 2 csv files under "in/": choose a narrower prefix`)
	_, err = c.Files(bg())
	require.ErrorContains(t, err, `more than 2 csv files under "in/"`)
}
