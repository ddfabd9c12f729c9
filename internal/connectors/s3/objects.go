package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
)

// Limits of listing and writing.
const (
	// MaxFiles bounds how many data files one connection may hold under its prefix; past it,
	// Files asks for a narrower prefix rather than listing without end.
	MaxFiles = 100_000
	// putPartSize is the part of a streamed upload held in memory (S3's minimum is 5 MiB).
	putPartSize = 8 << 20
)

// Object is one data file of the connection.
type Object struct {
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"`
	LastModified time.Time `json:"last_modified"`
}

// extensions are the file name endings of each format, before .gz.
var extensions = map[string][]string{
	"csv":     {".csv"},
	"tsv":     {".tsv", ".tab"},
	"jsonl":   {".jsonl", ".ndjson"},
	"json":    {".json"},
	"parquet": {".parquet"},
}

// matches reports whether key names a file of the configured format and compression, and
// returns its name without the extension.
func (c *Connector) matches(key string) (string, bool) {
	name := path.Base(key)
	lower := strings.ToLower(name)
	if c.cfg.Compression == "gzip" {
		if !strings.HasSuffix(lower, ".gz") {
			return "", false
		}
		lower, name = lower[:len(lower)-3], name[:len(name)-3]
	}
	for _, ext := range extensions[c.cfg.Format] {
		if strings.HasSuffix(lower, ext) && len(lower) > len(ext) {
			return name[:len(name)-len(ext)], true
		}
	}
	return "", false
}

// list returns up to limit data files under the prefix that keep accepts (all when nil), in
// key order, and whether more exist.
func (c *Connector) list(ctx context.Context, keep func(key string) bool, limit int) ([]Object, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing once enough were seen
	var out []Object
	seen := 0
	for obj := range c.client.ListObjects(ctx, c.cfg.Bucket, minio.ListObjectsOptions{Prefix: c.cfg.Prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, false, c.describe(obj.Err)
		}
		if strings.HasSuffix(obj.Key, "/") || c.inPrefix(obj.Key) != nil {
			continue // folder markers and keys we could not name safely
		}
		if _, ok := c.matches(obj.Key); !ok {
			continue
		}
		seen++
		if keep != nil && seen > c.maxScan {
			// A run would refuse this prefix (Files): say so rather than list without end.
			return nil, false, c.tooMany()
		}
		if keep != nil && !keep(obj.Key) {
			continue
		}
		if len(out) == limit {
			return out, true, nil
		}
		out = append(out, Object{Key: obj.Key, Size: obj.Size, ETag: strings.Trim(obj.ETag, `"`), LastModified: obj.LastModified})
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	return out, false, nil
}

// Files lists the data files under the prefix (those whose name ends as the format and
// compression say), in key order. More than MaxFiles is an error: the prefix is too broad.
func (c *Connector) Files(ctx context.Context) ([]Object, error) {
	defer c.transport.CloseIdleConnections()
	out, more, err := c.list(ctx, nil, c.maxScan)
	if err != nil {
		return nil, err
	}
	if more {
		return nil, c.tooMany()
	}
	return out, nil
}

func (c *Connector) tooMany() error {
	return fmt.Errorf("more than %d %s files under %q: choose a narrower prefix", c.maxScan, c.cfg.Format, c.cfg.Prefix)
}

// Match lists the data files under the prefix (as Files does) that keep accepts, in key order:
// at most limit, and whether more match. Like Files, it refuses a prefix of more than MaxFiles
// data files.
func (c *Connector) Match(ctx context.Context, keep func(key string) bool, limit int) ([]Object, bool, error) {
	defer c.transport.CloseIdleConnections()
	return c.list(ctx, keep, limit)
}

// Prefix is the connection's key prefix ("" for the whole bucket).
func (c *Connector) Prefix() string { return c.cfg.Prefix }

// Open streams the object key (one of Files) from its start. Reading stops with ctx.
func (c *Connector) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := c.inPrefix(key); err != nil {
		return nil, err
	}
	obj, err := c.client.GetObject(ctx, c.cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, c.describe(err)
	}
	if _, err := obj.Stat(); err != nil { // the request is made here: say now if it fails
		_ = obj.Close()
		return nil, c.describe(err)
	}
	return &streamReader{obj: obj, c: c}, nil
}

type streamReader struct {
	obj *minio.Object
	c   *Connector
}

func (s *streamReader) Read(p []byte) (int, error) {
	n, err := s.obj.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = s.c.describe(err)
	}
	return n, err
}

func (s *streamReader) Close() error { return s.obj.Close() }

// OpenListed streams obj, one of Files, in the version listed (its ETag): an object changed
// since fails rather than be read in another version than the one its listing described.
func (c *Connector) OpenListed(ctx context.Context, obj Object) (io.ReadCloser, error) {
	if err := c.inPrefix(obj.Key); err != nil {
		return nil, err
	}
	opts := minio.GetObjectOptions{}
	if obj.ETag != "" {
		if err := opts.SetMatchETag(obj.ETag); err != nil {
			return nil, err
		}
	}
	o, err := c.client.GetObject(ctx, c.cfg.Bucket, obj.Key, opts)
	if err != nil {
		return nil, c.describe(err)
	}
	if _, err := o.Stat(); err != nil {
		_ = o.Close()
		return nil, c.describe(err)
	}
	return &streamReader{obj: o, c: c}, nil
}

// OpenListedAt opens obj, one of Files, for random access in the version listed.
func (c *Connector) OpenListedAt(ctx context.Context, obj Object) (*ObjectReader, error) {
	if err := c.inPrefix(obj.Key); err != nil {
		return nil, err
	}
	return c.readerAt(ctx, obj), nil
}

// OpenAt opens the object key (one of Files) for random access, as parquet needs.
func (c *Connector) OpenAt(ctx context.Context, key string) (*ObjectReader, error) {
	if err := c.inPrefix(key); err != nil {
		return nil, err
	}
	info, err := c.client.StatObject(ctx, c.cfg.Bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return nil, c.describe(err)
	}
	return c.readerAt(ctx, Object{Key: key, Size: info.Size, ETag: strings.Trim(info.ETag, `"`), LastModified: info.LastModified}), nil
}

func (c *Connector) readerAt(ctx context.Context, obj Object) *ObjectReader {
	return &ObjectReader{ctx: ctx, c: c, obj: obj, blocks: map[int64][]byte{}}
}

// Reads of an ObjectReader fetch whole blocks by ranged GETs and keep the last few, so the
// many small reads of a decompressor or of a parquet footer cost few requests.
const (
	blockSize = 256 << 10
	maxBlocks = 16
)

// ObjectReader reads one object at any offset (io.ReaderAt), fetching what is read by ranged
// GETs. It fails rather than mix versions if the object changes while read.
type ObjectReader struct {
	ctx context.Context //nolint:containedctx // io.ReaderAt has no context; reads stop with the caller's
	c   *Connector
	obj Object

	mu     sync.Mutex
	blocks map[int64][]byte
	order  []int64 // oldest first
}

// Size is the object's size in bytes.
func (r *ObjectReader) Size() int64 { return r.obj.Size }

// Key is the object's key.
func (r *ObjectReader) Key() string { return r.obj.Key }

// Close drops the cached blocks.
func (r *ObjectReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.blocks, r.order = map[int64][]byte{}, nil
	return nil
}

// ReadAt implements io.ReaderAt.
func (r *ObjectReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("s3: negative offset")
	}
	if off >= r.obj.Size {
		return 0, io.EOF
	}
	want := p
	if rem := r.obj.Size - off; int64(len(want)) > rem {
		want = want[:rem]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	last := (off + int64(len(want)) - 1) / blockSize
	for n < len(want) {
		pos := off + int64(n)
		idx := pos / blockSize
		blk, err := r.block(idx, last)
		if err != nil {
			return n, err
		}
		n += copy(want[n:], blk[pos-idx*blockSize:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// block returns block idx, fetching it together with the following missing blocks up to last
// (at most maxBlocks) in one request.
func (r *ObjectReader) block(idx, last int64) ([]byte, error) {
	if b, ok := r.blocks[idx]; ok {
		return b, nil
	}
	end := idx
	for end < last && end-idx+1 < maxBlocks {
		if _, ok := r.blocks[end+1]; ok {
			break
		}
		end++
	}
	start := idx * blockSize
	stop := min((end+1)*blockSize, r.obj.Size) // exclusive
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(start, stop-1); err != nil {
		return nil, err
	}
	if r.obj.ETag != "" {
		if err := opts.SetMatchETag(r.obj.ETag); err != nil {
			return nil, err
		}
	}
	obj, err := r.c.client.GetObject(r.ctx, r.c.cfg.Bucket, r.obj.Key, opts)
	if err != nil {
		return nil, r.c.describe(err)
	}
	defer func() { _ = obj.Close() }()
	buf := make([]byte, stop-start)
	if _, err := io.ReadFull(obj, buf); err != nil {
		if minio.ToErrorResponse(err).Code == minio.PreconditionFailed {
			return nil, fmt.Errorf("object %q changed while it was read", r.obj.Key)
		}
		return nil, r.c.describe(err)
	}
	for i := idx; i <= end; i++ {
		lo := (i - idx) * blockSize
		hi := min(lo+blockSize, int64(len(buf)))
		r.keep(i, buf[lo:hi])
	}
	return r.blocks[idx], nil
}

func (r *ObjectReader) keep(idx int64, b []byte) {
	for len(r.order) >= maxBlocks {
		delete(r.blocks, r.order[0])
		r.order = r.order[1:]
	}
	r.blocks[idx] = b
	r.order = append(r.order, idx)
}

// Put streams r into the object key, which must be under the prefix. Memory holds one part
// (8 MiB) at a time; a failed upload is aborted, so no partial object appears.
func (c *Connector) Put(ctx context.Context, key string, r io.Reader) error {
	defer c.transport.CloseIdleConnections()
	if err := c.inPrefix(key); err != nil {
		return err
	}
	_, err := c.client.PutObject(ctx, c.cfg.Bucket, key, r, -1, minio.PutObjectOptions{
		PartSize: putPartSize, ContentType: c.contentType(),
	})
	if err != nil {
		return c.describe(err)
	}
	return nil
}

// Key returns the key of a file named name under the connection's prefix.
func (c *Connector) Key(name string) string { return c.cfg.Prefix + name }

func (c *Connector) contentType() string {
	if c.cfg.Compression == "gzip" {
		return "application/gzip"
	}
	switch c.cfg.Format {
	case "csv":
		return "text/csv"
	case "tsv":
		return "text/tab-separated-values"
	case "jsonl":
		return "application/x-ndjson"
	case "json":
		return "application/json"
	default:
		return "application/vnd.apache.parquet"
	}
}

// Remove deletes the object key, which must be under the prefix. A key that is already gone
// is not an error (S3 answers the same either way).
func (c *Connector) Remove(ctx context.Context, key string) error {
	defer c.transport.CloseIdleConnections()
	if err := c.inPrefix(key); err != nil {
		return err
	}
	if err := c.client.RemoveObject(ctx, c.cfg.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return c.describe(err)
	}
	return nil
}

// URL is the s3:// URL of the object key, as Redshift's COPY and manifests name objects.
func (c *Connector) URL(key string) string { return "s3://" + c.cfg.Bucket + "/" + key }
