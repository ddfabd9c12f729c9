// Package blob stores uploaded bytes under keys the server chooses ("<org id>/<random>"), in a
// directory (DATA_DIR/files by default). Keys are checked, so no path a client sends can reach
// the file system.
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
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(contextReader{ctx, r}, limit+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, nil, err
	}
	if n > limit {
		return 0, nil, ErrTooLarge
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return 0, nil, err
	}
	return n, h.Sum(nil), nil
}

// Path is where the blob of key lives on disk.
func (d *Dir) Path(key string) (string, error) { return d.path(key) }

// Open returns the blob for reading.
func (d *Dir) Open(key string) (*os.File, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	return os.Open(p) //nolint:gosec // the key is checked against validKey
}

// Delete removes the blob; a missing one is not an error.
func (d *Dir) Delete(key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
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
