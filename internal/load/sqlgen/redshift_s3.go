package sqlgen

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/internal/load"
)

// ObjectStore is where Redshift's staged files go: the s3 connector, under its prefix.
type ObjectStore interface {
	// Put streams r into the object key.
	Put(ctx context.Context, key string, r io.Reader) error
	// Remove deletes the object key; a missing key is not an error.
	Remove(ctx context.Context, key string) error
	// Key is the key of name under the store's prefix; URL the s3:// URL of a key.
	Key(name string) string
	URL(key string) string
}

// S3Staging is Redshift's bulk path. Redshift has no COPY FROM STDIN, so each table's rows
// are written as gzip CSV part files (encoded as the dialect's COPY reads them: NULL as an
// unquoted \N, text quoted, bytes in hex, times in UTC) under a folder of the load's own,
// with a manifest listing exactly those files; the dialect's COPY then reads the manifest,
// and the folder is deleted whatever happened. Memory holds one row, the gzip window and the
// store's upload part, whatever the table's size.
type S3Staging struct {
	Store ObjectStore
	// IAMRole is the role Redshift assumes to read the files; without it COPY passes the keys.
	IAMRole                                    string
	AccessKeyID, SecretAccessKey, SessionToken string
	// Region of the bucket, when it differs from the cluster's.
	Region string
	// PartSize is the uncompressed size from which a file is closed and the next begun;
	// 0 is DefaultPartSize.
	PartSize int64
}

// DefaultPartSize keeps files near the size Redshift's documentation advises (1–125 MB
// compressed) while letting a big table load in parallel across the cluster's slices.
const DefaultPartSize = 64 << 20

// s3Files are the objects of one table's load.
type s3Files struct {
	st *S3Staging
	// dir is the folder's key, ending in a slash.
	dir string
	// parts are the data files, written or being written, in order.
	parts []string
}

var safeRunID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// files names a table's folder: <prefix>dnk-<run id>/<hash of schema and table>/, so the
// objects of a run are found together and a retry of the run overwrites its own.
func (s *S3Staging) files(runID, schema, table string) *s3Files {
	run := runID
	if !safeRunID.MatchString(run) {
		h := sha256.Sum256([]byte(runID))
		run = hex.EncodeToString(h[:8])
	}
	h := sha256.Sum256([]byte(schema + "\x00" + table))
	return &s3Files{st: s, dir: s.Store.Key("dnk-" + run + "/" + hex.EncodeToString(h[:6]) + "/")}
}

func (f *s3Files) manifestKey() string { return f.dir + "manifest.json" }

// source is what the dialect's COPY reads.
func (f *s3Files) source() *S3Source {
	return &S3Source{Manifest: f.st.Store.URL(f.manifestKey()), IAMRole: f.st.IAMRole, AccessKeyID: f.st.AccessKeyID,
		SecretAccessKey: f.st.SecretAccessKey, SessionToken: f.st.SessionToken, Region: f.st.Region}
}

// manifest is Redshift's COPY manifest: every file mandatory, so a missing one fails the COPY
// instead of loading part of the table.
func (f *s3Files) manifest() ([]byte, error) {
	type entry struct {
		URL       string `json:"url"`
		Mandatory bool   `json:"mandatory"`
	}
	m := struct {
		Entries []entry `json:"entries"`
	}{Entries: make([]entry, len(f.parts))}
	for i, k := range f.parts {
		m.Entries[i] = entry{URL: f.st.Store.URL(k), Mandatory: true}
	}
	return json.Marshal(m)
}

// bulk is the BulkFunc of Redshift with staging: write the files, COPY them into the stage,
// delete them.
func (f *s3Files) bulk(d *Destination) BulkFunc {
	return func(ctx context.Context, _ *sql.Conn, sc *Script, cols []load.Column, keep []bool, next func() (*load.Batch, error)) (n int64, err error) {
		defer func() {
			if rerr := f.Remove(ctx); rerr != nil && err == nil {
				err = fmt.Errorf("delete the staged files: %w", rerr)
			}
		}()
		if n, err = f.Write(ctx, cols, keep, slices.Contains(sc.StageColumns, seq), next); err != nil {
			return n, err
		}
		for _, s := range sc.Load {
			if err := d.exec(ctx, s); err != nil {
				return n, err
			}
		}
		return n, nil
	}
}

// Write streams the batches into part files, then writes the manifest, and returns the rows
// written. keep marks the source columns that are written; withSeq appends the row's ordinal
// (merge's _dnk_seq). On error the objects written so far stay: Remove deletes them.
func (f *s3Files) Write(ctx context.Context, cols []load.Column, keep []bool, withSeq bool, next func() (*load.Batch, error)) (int64, error) {
	limit := f.st.PartSize
	if limit <= 0 {
		limit = DefaultPartSize
	}
	// Always one file, even for no rows: a manifest without entries is refused by COPY.
	p := f.openPart(ctx)
	var n int64
	var line []byte
	for {
		b, err := next()
		if err != nil {
			p.abort(err)
			return n, err
		}
		if b == nil {
			break
		}
		for i := range b.Len() {
			if p == nil {
				p = f.openPart(ctx)
			}
			n++
			line = appendRecord(line[:0], cols, keep, b.Row(i), n, withSeq)
			if err := p.write(line); err != nil {
				return n, err
			}
			if p.size >= limit {
				if err := p.close(); err != nil {
					return n, err
				}
				p = nil
			}
		}
	}
	if p != nil {
		if err := p.close(); err != nil {
			return n, err
		}
	}
	m, err := f.manifest()
	if err != nil {
		return n, err
	}
	if err := f.st.Store.Put(ctx, f.manifestKey(), bytes.NewReader(m)); err != nil {
		return n, fmt.Errorf("write the manifest: %w", err)
	}
	return n, nil
}

// Remove deletes the manifest and every part, best effort even when ctx has ended (a
// cancelled run still cleans up), and says what it could not delete.
func (f *s3Files) Remove(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var errs []error
	for _, k := range append([]string{f.manifestKey()}, f.parts...) {
		if err := f.st.Store.Remove(ctx, k); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// part is one file being uploaded: rows go through a buffer and gzip into a pipe that the
// store's upload reads.
type part struct {
	pw   *io.PipeWriter
	buf  *bufio.Writer
	gz   *gzip.Writer
	done chan error
	size int64
}

func (f *s3Files) openPart(ctx context.Context) *part {
	key := f.dir + fmt.Sprintf("part-%05d.csv.gz", len(f.parts)+1)
	f.parts = append(f.parts, key) // before the upload starts, so Remove finds even a partial one
	pr, pw := io.Pipe()
	gz := gzip.NewWriter(pw)
	p := &part{pw: pw, gz: gz, buf: bufio.NewWriterSize(gz, 256<<10), done: make(chan error, 1)}
	go func() {
		err := f.st.Store.Put(ctx, key, pr)
		// Unblocks the writer when the upload failed or stopped reading early; after a
		// complete upload the writer is done and this changes nothing.
		stop := err
		if stop == nil {
			stop = errUploadEnded
		}
		_ = pr.CloseWithError(stop)
		if err != nil {
			err = fmt.Errorf("upload %s: %w", key, err)
		}
		p.done <- err
	}()
	return p
}

var errUploadEnded = errors.New("the upload ended before the whole file was written")

func (p *part) write(line []byte) error {
	p.size += int64(len(line))
	if _, err := p.buf.Write(line); err != nil {
		return p.finish(err)
	}
	return nil
}

func (p *part) close() error {
	if err := p.buf.Flush(); err != nil {
		return p.finish(err)
	}
	if err := p.gz.Close(); err != nil {
		return p.finish(err)
	}
	return p.finish(nil)
}

// finish ends the file (cause nil: complete; otherwise the upload is failed with cause) and
// waits for the upload, whose own error is preferred to the pipe's echo of it.
func (p *part) finish(cause error) error {
	if p.done == nil {
		return cause
	}
	if cause == nil {
		_ = p.pw.Close()
	} else {
		_ = p.pw.CloseWithError(cause)
	}
	uerr := <-p.done
	p.done = nil
	if uerr != nil {
		return uerr
	}
	return cause
}

// abort fails the upload of a file that will not be finished.
func (p *part) abort(cause error) {
	if p != nil {
		_ = p.finish(cause)
	}
}

// appendRecord is one CSV line of the kept columns (and the ordinal), as the dialect's COPY
// reads it.
func appendRecord(dst []byte, cols []load.Column, keep []bool, row []any, ordinal int64, withSeq bool) []byte {
	first := true
	for i, v := range row {
		if !keep[i] {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendCSVField(dst, cols[i].Type.Kind, v)
	}
	if withSeq {
		if !first {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, ordinal, 10)
	}
	return append(dst, '\n')
}

// csvNull is the COPY's NULL AS marker. It is written unquoted; every text value is quoted,
// so an empty string stays an empty string.
const csvNull = `\N`

// appendCSVField writes one value. Text-like values (text, JSON, intervals) are always
// quoted, quotes doubled, newlines kept inside the quotes; the others never hold a comma, a
// quote or a newline and go bare: integers and exact decimals as digits, floats in the
// shortest form that reads back the same, booleans as true/false, bytes as hex (VARBYTE's
// CSV form), dates and times in ISO form, timestamps in UTC with an explicit +00:00 for
// timestamptz (TIMEFORMAT 'auto' reads both), UUIDs in their canonical text.
func appendCSVField(dst []byte, k load.Kind, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, csvNull...)
	case string:
		return appendQuoted(dst, x)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case float64:
		switch {
		case math.IsNaN(x):
			return append(dst, "NaN"...)
		case math.IsInf(x, 1):
			return append(dst, "Infinity"...)
		case math.IsInf(x, -1):
			return append(dst, "-Infinity"...)
		case k == load.KindFloat32:
			return strconv.AppendFloat(dst, x, 'g', -1, 32)
		default:
			return strconv.AppendFloat(dst, x, 'g', -1, 64)
		}
	case bool:
		return strconv.AppendBool(dst, x)
	case []byte:
		return hex.AppendEncode(dst, x)
	case pgtype.Numeric:
		return append(dst, load.NumericText(x)...)
	case time.Time:
		switch k {
		case load.KindDate:
			return x.AppendFormat(dst, "2006-01-02")
		case load.KindTimestampTZ:
			return x.UTC().AppendFormat(dst, "2006-01-02 15:04:05.999999+00:00")
		default:
			return x.AppendFormat(dst, "2006-01-02 15:04:05.999999")
		}
	case pgtype.Interval:
		return appendQuoted(dst, load.Canonical(k, x))
	default: // pgtype.Time, [16]byte (UUID)
		return appendQuoted(dst, load.Canonical(k, x))
	}
}

func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}
