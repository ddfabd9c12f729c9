package s3

import (
	"context"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/files"
)

// Catalog bounds: how many files become tables, how much of a text file is sampled, and how
// many files are sampled at once.
const (
	MaxCatalogFiles = 1000
	sampleBytes     = 256 << 10
	workers         = 4
)

// Catalog shows each data file under the prefix (the first MaxCatalogFiles in key order) as a
// table of one schema named after the bucket. Columns come from a sample of each file; a file
// that cannot be read or is not what the config says is listed with no columns.
func (c *Connector) Catalog(ctx context.Context) ([]connectors.Schema, error) {
	defer c.transport.CloseIdleConnections()
	objs, _, err := c.list(ctx, nil, MaxCatalogFiles)
	if err != nil {
		return nil, err
	}
	names := tableNames(c, objs)
	tables := make([]connectors.Table, len(objs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(objs)) {
		wg.Go(func() {
			for i := range jobs {
				tables[i] = connectors.Table{Name: names[i], Kind: connectors.KindTable, Columns: c.columns(ctx, objs[i])}
			}
		})
	}
	for i := range objs {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return []connectors.Schema{{Name: identifier(c.cfg.Bucket, "s3"), Tables: tables}}, nil
}

// columns recognises the columns of one file, or returns none when it cannot.
func (c *Connector) columns(ctx context.Context, obj Object) []connectors.Column {
	r := c.readerAt(ctx, obj)
	defer func() { _ = r.Close() }()
	var ra io.ReaderAt = r
	if c.cfg.Format != "parquet" && c.cfg.Compression == "none" {
		ra = clipped{r, sampleBytes} // a text sample; the gzip reader stops by itself
	}
	det, err := files.Detect(ra, obj.Size)
	if err != nil || !c.sameFormat(det) {
		return []connectors.Column{}
	}
	cols := make([]connectors.Column, 0, len(det.Columns))
	for _, col := range det.Columns {
		cols = append(cols, connectors.Column{Name: col.Name, Type: col.Type, Nullable: true})
	}
	return cols
}

// sameFormat: what the content is agrees with the config. A JSON document on one line reads
// as jsonl too.
func (c *Connector) sameFormat(det files.Detection) bool {
	if det.Compression != c.cfg.Compression {
		return false
	}
	return det.Format == c.cfg.Format || (c.cfg.Format == files.FormatJSON && det.Format == files.FormatJSONL)
}

// clipped reads at most limit bytes of r and then says EOF; Detect, told the real size, then
// knows its sample stops mid-file.
type clipped struct {
	r     io.ReaderAt
	limit int64
}

func (c clipped) ReadAt(p []byte, off int64) (int, error) {
	if off >= c.limit {
		return 0, io.EOF
	}
	if rem := c.limit - off; int64(len(p)) > rem {
		n, err := c.r.ReadAt(p[:rem], off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return c.r.ReadAt(p, off)
}

// tableNames derives one table name per object from its key below the prefix, without the
// extension: lower-case letters, digits and _, at most 63 bytes, unique (_2, _3… on clashes).
func tableNames(c *Connector, objs []Object) []string {
	out := make([]string, len(objs))
	used := map[string]bool{}
	for i, o := range objs {
		rel := strings.TrimPrefix(o.Key, c.cfg.Prefix)
		if base, ok := c.matches(rel); ok {
			if dir := rel[:strings.LastIndexByte(rel, '/')+1]; dir != "" {
				base = dir + base
			}
			rel = base
		}
		name := identifier(rel, "file")
		if used[name] {
			for n := 2; ; n++ {
				suffix := "_" + strconv.Itoa(n)
				candidate := truncate(name, 63-len(suffix)) + suffix
				if !used[candidate] {
					name = candidate
					break
				}
			}
		}
		used[name] = true
		out[i] = name
	}
	return out
}

// identifier makes s a plain SQL-friendly name: runs of anything but a-z, 0-9 become one _,
// a leading digit gets a t_ prefix, at most 63 bytes; empty becomes fallback.
func identifier(s, fallback string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			under = false
		case !under && b.Len() > 0:
			b.WriteByte('_')
			under = true
		}
	}
	name := strings.TrimRight(b.String(), "_")
	if name == "" {
		return fallback
	}
	if name[0] >= '0' && name[0] <= '9' {
		name = "t_" + name
	}
	return strings.TrimRight(truncate(name, 63), "_")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
