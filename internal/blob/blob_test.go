package blob_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/blob"
)

func TestDir_PutOpenDelete(t *testing.T) {
	t.Parallel()
	d, err := blob.NewDir(t.TempDir())
	require.NoError(t, err)
	ctx := context.Background()
	key := "12/0123456789abcdef0123456789abcdef"
	n, sum, err := d.Put(ctx, key, strings.NewReader("hello"), 10)
	require.NoError(t, err)
	require.Equal(t, int64(5), n)
	require.Len(t, sum, 32)
	f, err := d.Open(ctx, key)
	require.NoError(t, err)
	b, _ := io.ReadAll(f)
	_ = f.Close()
	require.Equal(t, "hello", string(b))
	p, err := d.LocalPath(ctx, key)
	require.NoError(t, err)
	b, err = os.ReadFile(p) //nolint:gosec // a test's own file
	require.NoError(t, err)
	require.Equal(t, "hello", string(b))
	require.NoError(t, d.Delete(ctx, key))
	_, err = d.Open(ctx, key)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, d.Delete(ctx, key), "deleting twice is fine")
}

func TestDir_OversizedWritesLeaveNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, _ := blob.NewDir(dir)
	key := "1/0123456789abcdef0123456789abcdef"
	_, _, err := d.Put(context.Background(), key, bytes.NewReader(make([]byte, 11)), 10)
	require.ErrorIs(t, err, blob.ErrTooLarge)
	entries, _ := os.ReadDir(dir + "/1")
	require.Empty(t, entries)
}

func TestDir_RefusesKeysThatAreNotItsOwn(t *testing.T) {
	t.Parallel()
	d, _ := blob.NewDir(t.TempDir())
	ctx := context.Background()
	for _, key := range []string{"../etc/passwd", "1/../../x", "/abs", "1/ABC", ""} {
		_, _, err := d.Put(ctx, key, strings.NewReader("x"), 10)
		require.Error(t, err, key)
		_, err = d.Open(ctx, key)
		require.Error(t, err, key)
		_, err = d.LocalPath(ctx, key)
		require.Error(t, err, key)
		require.Error(t, d.Delete(ctx, key), key)
	}
}
