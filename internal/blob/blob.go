// Package blob stores uploaded bytes under keys the server chooses ("<org id>/<random>"): in a
// directory (Dir, DATA_DIR/files by default) or in an S3 bucket (S3, when BLOB_URL is set) with
// a local cache for the readers that need a file. Keys are checked, so no path a client sends
// can reach the file system or another bucket.
package blob

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// ErrTooLarge is returned when a write goes past its limit; nothing is kept.
var ErrTooLarge = errors.New("the upload is larger than allowed")

var validKey = regexp.MustCompile(`^[0-9]{1,19}/[0-9a-f]{32}$`)

// Store keeps blobs. Keys come from the server, never from a client.
type Store interface {
	// Put streams r into key, at most limit bytes (ErrTooLarge beyond), and returns its size
	// and SHA-256. A failed or oversized write leaves nothing behind.
	Put(ctx context.Context, key string, r io.Reader, limit int64) (int64, []byte, error)
	// Open returns the blob for reading, sequentially or at any offset.
	Open(ctx context.Context, key string) (File, error)
	// Delete removes the blob; a missing one is not an error.
	Delete(ctx context.Context, key string) error
	// LocalPath is a file on this machine holding the blob, for readers that need a path
	// (sqlite, the file connector). Treat it as read-only.
	LocalPath(ctx context.Context, key string) (string, error)
}

// File is an open blob; *os.File is one.
type File interface {
	io.Reader
	io.ReaderAt
	io.Closer
}

var (
	_ Store = (*Dir)(nil)
	_ Store = (*S3)(nil)
)

// Dir keeps blobs as files under a root directory.
type Dir struct {
	root string
}

// NewDir uses (and creates) root.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create blob directory: %w", err)
	}
	return &Dir{root: root}, nil
}

func (d *Dir) path(key string) (string, error) {
	if !validKey.MatchString(key) {
		return "", fmt.Errorf("invalid blob key %q", key)
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Put streams r into key, at most limit bytes, and returns its size and SHA-256. A partial or
// oversized write leaves nothing behind.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, limit int64) (int64, []byte, error) {
	p, err := d.path(key)
	if err != nil {
		return 0, nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return 0, nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // a no-op once renamed
	n, sum, err := copyLimited(ctx, tmp, r, limit)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, nil, err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return 0, nil, err
	}
	return n, sum, nil
}

// LocalPath is where the blob of key lives on disk.
func (d *Dir) LocalPath(_ context.Context, key string) (string, error) { return d.path(key) }

// Open returns the blob for reading.
func (d *Dir) Open(_ context.Context, key string) (File, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p) //nolint:gosec // the key is checked against validKey
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Delete removes the blob; a missing one is not an error.
func (d *Dir) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// copyLimited copies at most limit bytes of r to w, hashing them; ErrTooLarge if r holds more.
func copyLimited(ctx context.Context, w io.Writer, r io.Reader, limit int64) (int64, []byte, error) {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(contextReader{ctx, r}, limit+1))
	if err != nil {
		return 0, nil, err
	}
	if n > limit {
		return 0, nil, ErrTooLarge
	}
	return n, h.Sum(nil), nil
}

// contextReader stops a copy when the request is cancelled.
type contextReader struct {
	ctx context.Context //nolint:containedctx // scoped to one copy
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
