// Package bqload is the BigQuery load destination: the scripts of sqlgen's BigQuery dialect,
// run as query jobs, with the rows sent to the staging table by a load job whose data is
// uploaded with the job (newline-delimited JSON; no Cloud Storage bucket).
//
// How a table is committed, step by step (docs/architecture.md, "BigQuery"):
//
//  1. Begin reads the target's columns (tables.get), applies the schema contract, and runs the
//     dialect's Prepare statements one query job each: the dataset, the bookkeeping tables,
//     the target when it is new (empty), evolve's added columns, and the staging table (a
//     CREATE OR REPLACE of a table that expires after 24 hours, named after the run and table).
//  2. Copy streams the rows as newline-delimited JSON into one load job (WRITE_APPEND and
//     CREATE_NEVER into the staging table Begin just created empty, with its schema; a retry is
//     a new Begin, which replaces it). The load job's own count of rows is what verify=count
//     compares.
//  3. Publish runs ONE script job: BEGIN TRANSACTION; the guard (rows of this run id already in
//     the target); unless it found some, the data (append INSERT … WHERE NOT EXISTS, replace
//     DELETE + INSERT, merge MERGE) and the rejected rows; the state; the ledger;
//     COMMIT TRANSACTION. A script that fails rolls its transaction back.
//  4. The staging table is dropped, after Publish and on Abort.
//
// Its SDK is heavy: like the connector, this package is linked only by package builtin.
package bqload

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	bq "cloud.google.com/go/bigquery"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"

	"github.com/datanika/datanika/internal/connectors"
	bqconn "github.com/datanika/datanika/internal/connectors/bigquery"
	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/sqlgen"
)

// Register makes load.OpenDestination open BigQuery connections (after sqlgen.Register, which
// leaves BigQuery out). The program calls it (package builtin); it may be called more than once.
func Register() { load.RegisterDestination("bigquery", Open) }

// Open opens the BigQuery destination of a connection: its project, its location, its key,
// dialing through the Env's Dialer. schema is the dataset the pipeline loads into.
func Open(ctx context.Context, e load.Endpoint, schema string) (load.Destination, error) {
	c, err := bqconn.New(e.Config, e.Env)
	if err != nil {
		return nil, err
	}
	client, closeFn, err := c.Client(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to the bigquery destination: %w", err)
	}
	return &Destination{Client: client, Dataset: schema, Location: c.Location(), Secrets: c.Secrets(), closeFn: closeFn}, nil
}

// Destination loads into one dataset of a BigQuery project.
type Destination struct {
	Client *bq.Client
	// Dataset is the pipeline's destination schema.
	Dataset string
	// Location is where the jobs run ("": BigQuery infers it from the tables).
	Location string
	// ChunkSize, when > 0, is the upload's chunk size (googleapi rounds it to 256 KiB): rows
	// beyond one chunk go up as a resumable upload. 0 is the library's default (16 MiB).
	ChunkSize int
	// Secrets are scrubbed from every error.
	Secrets []string
	// JobTimeout bounds each job BigQuery runs (0: none).
	JobTimeout time.Duration

	closeFn func()
}

var _ load.Destination = (*Destination)(nil)

// dialect writes the SQL.
var dialect = sqlgen.BigQuery

// Close releases the client.
func (dst *Destination) Close() error {
	if dst.closeFn != nil {
		dst.closeFn()
		return nil
	}
	return dst.Client.Close()
}

func (dst *Destination) scrub(err error) error {
	if err == nil {
		return nil
	}
	return connectors.ScrubError(err, dst.Secrets)
}

// query runs one query job (a statement or a script) to its end, with named parameters.
func (dst *Destination) query(ctx context.Context, sql string, args []sqlgen.Arg) (*bq.Job, error) {
	q := dst.Client.Query(sql)
	q.Location = dst.Location
	if dst.JobTimeout > 0 {
		q.JobTimeout = dst.JobTimeout
	}
	for _, a := range args {
		q.Parameters = append(q.Parameters, bq.QueryParameter{Name: a.Name, Value: a.Value})
	}
	job, err := q.Run(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", firstWords(sql), dst.scrub(err))
	}
	if _, err := dst.wait(ctx, job); err != nil {
		return nil, fmt.Errorf("%s: %w", firstWords(sql), dst.scrub(err))
	}
	return job, nil
}

// wait waits for a job to end. When ctx ends first (the run was cancelled), the job is
// cancelled too, best effort: BigQuery would otherwise run it to its end — a publishing
// script then rolls back, unless it had already committed, which the next run's guard finds.
func (dst *Destination) wait(ctx context.Context, job *bq.Job) (*bq.JobStatus, error) {
	status, err := job.Wait(ctx)
	if err != nil && ctx.Err() != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = job.Cancel(cctx)
		return nil, err
	}
	if err == nil {
		err = status.Err()
	}
	return status, err
}

// firstWords names a failed statement without flooding the message.
func firstWords(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// columnsOf lists a table's columns (none when it or its dataset does not exist).
func (dst *Destination) columnsOf(ctx context.Context, table string) ([]string, error) {
	md, err := dst.Client.Dataset(dst.Dataset).Table(table).Metadata(ctx)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("columns of %q: %w", table, dst.scrub(err))
	}
	out := make([]string, len(md.Schema))
	for i, f := range md.Schema {
		out[i] = f.Name
	}
	return out, nil
}

func isNotFound(err error) bool {
	var e *googleapi.Error
	return errors.As(err, &e) && e.Code == http.StatusNotFound
}

// State reads the stored incremental state from <dataset>._dnk_state.
func (dst *Destination) State(ctx context.Context, pipeline, table string) (string, bool, error) {
	cols, err := dst.columnsOf(ctx, load.StateTable)
	if err != nil || len(cols) == 0 {
		return "", false, err
	}
	job, err := dst.query(ctx, "SELECT cursor_value FROM "+dialect.Quote(dst.Dataset)+"."+dialect.Quote(load.StateTable)+
		" WHERE pipeline = @pipeline AND table_name = @table_name",
		[]sqlgen.Arg{{Name: "pipeline", Value: pipeline}, {Name: "table_name", Value: table}})
	if err != nil {
		return "", false, err
	}
	row, err := firstRow(ctx, job)
	if err != nil || row == nil {
		return "", false, dst.scrub(err)
	}
	v, _ := row[0].(string)
	return v, true, nil
}

// firstRow reads a query job's first row (nil when there is none).
func firstRow(ctx context.Context, job *bq.Job) ([]bq.Value, error) {
	it, err := job.Read(ctx)
	if err != nil {
		return nil, err
	}
	var row []bq.Value
	err = it.Next(&row)
	if errors.Is(err, iterator.Done) {
		return nil, nil
	}
	return row, err
}

type tableLoad struct {
	dst  *Destination
	tp   *load.TablePlan
	plan *sqlgen.Plan
	keep []bool
	sc   *sqlgen.Script
	// staged is the load job's count of the rows it wrote to staging.
	staged int64
}

// Begin applies the schema contract against the existing table and runs Prepare.
func (dst *Destination) Begin(ctx context.Context, tp *load.TablePlan) (load.TableLoad, error) {
	existing, err := dst.columnsOf(ctx, tp.Name)
	if err != nil {
		return nil, err
	}
	// BigQuery's column names are case-insensitive: a column the target has in another case is
	// the same column.
	for i, have := range existing {
		for _, want := range tp.Columns {
			if strings.EqualFold(have, want) {
				existing[i] = want
			}
		}
	}
	p, keep, err := sqlgen.PlanFor(dialect, dst.Dataset, tp, existing)
	if err != nil {
		return nil, err
	}
	l := &tableLoad{dst: dst, tp: tp, plan: p, keep: keep}
	withState := *p
	withState.State = &load.StateEntry{} // so that Prepare creates the state table
	if l.sc, err = dialect.Script(&withState); err != nil {
		return nil, err
	}
	for _, s := range l.sc.Prepare {
		if _, err := dst.query(ctx, s.SQL, s.Args); err != nil {
			l.Abort()
			return nil, fmt.Errorf("prepare %q: %w", tp.Name, err)
		}
	}
	return l, nil
}

// Discarded lists the source columns left out by the columns contract.
func (l *tableLoad) Discarded() []int {
	var out []int
	for i, k := range l.keep {
		if !k {
			out = append(out, i)
		}
	}
	return out
}

// Copy uploads the rows as newline-delimited JSON with one load job into staging. A load with
// no rows sends no job: staging was created empty.
func (l *tableLoad) Copy(ctx context.Context, next func() (*load.Batch, error)) (int64, error) {
	first, err := next()
	for err == nil && first != nil && first.Len() == 0 {
		first, err = next()
	}
	if err != nil || first == nil {
		return 0, err
	}
	pr, pw := io.Pipe()
	var n int64
	var srcErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		srcErr = writeRows(pw, l.tp.Source.Columns, l.keep, slices.Contains(l.sc.StageColumns, "_dnk_seq"), first, next, &n)
		_ = pw.CloseWithError(srcErr)
	}()
	stats, err := l.dst.upload(ctx, l.sc.StageName, pr)
	_ = pr.CloseWithError(errJobEnded)
	<-done
	if srcErr != nil && !errors.Is(srcErr, errJobEnded) {
		return n, srcErr // the source's failure, not the upload's echo of it
	}
	if err != nil {
		return n, fmt.Errorf("copy into %q: %w", l.tp.Name, err)
	}
	if srcErr != nil {
		return n, fmt.Errorf("copy into %q: the load job ended before every row was sent", l.tp.Name)
	}
	l.staged = stats.OutputRows
	return n, nil
}

var errJobEnded = errors.New("the load job ended")

// upload runs the load job of r into table, which exists (and is empty).
func (dst *Destination) upload(ctx context.Context, table string, r io.Reader) (*bq.LoadStatistics, error) {
	src := bq.NewReaderSource(r)
	src.SourceFormat = bq.JSON
	loader := dst.Client.Dataset(dst.Dataset).Table(table).LoaderFrom(src)
	loader.WriteDisposition = bq.WriteAppend // into the table Begin created empty: its schema, its options
	loader.CreateDisposition = bq.CreateNever
	loader.Location = dst.Location
	if dst.JobTimeout > 0 {
		loader.JobTimeout = dst.JobTimeout
	}
	if dst.ChunkSize > 0 {
		loader.MediaOptions = []googleapi.MediaOption{googleapi.ChunkSize(dst.ChunkSize)}
	}
	job, err := loader.Run(ctx)
	if err != nil {
		return nil, dst.scrub(err)
	}
	status, err := dst.wait(ctx, job)
	if err != nil {
		return nil, dst.scrub(err)
	}
	stats, _ := status.Statistics.Details.(*bq.LoadStatistics)
	if stats == nil {
		return nil, errors.New("the load job reported no statistics")
	}
	return stats, nil
}

// writeRows writes the batches as newline-delimited JSON objects keyed by the stage's columns.
func writeRows(w io.Writer, cols []load.Column, keep []bool, withSeq bool, first *load.Batch,
	next func() (*load.Batch, error), n *int64) error {
	names := make([]json.RawMessage, len(cols))
	for i, c := range cols {
		names[i], _ = json.Marshal(c.Name) // a string always marshals
	}
	var buf []byte
	for b := first; b != nil; {
		for i := range b.Len() {
			*n++
			buf = buf[:0]
			buf = append(buf, '{')
			sep := false
			for j, v := range b.Row(i) {
				if !keep[j] || v == nil {
					continue
				}
				if sep {
					buf = append(buf, ',')
				}
				sep = true
				buf = append(buf, names[j]...)
				buf = append(buf, ':')
				var err error
				if buf, err = appendValue(buf, cols[j].Type.Kind, v); err != nil {
					return fmt.Errorf("row %d, column %q: %w", *n, cols[j].Name, err)
				}
			}
			if withSeq {
				if sep {
					buf = append(buf, ',')
				}
				buf = fmt.Appendf(buf, `"_dnk_seq":%d`, *n)
			}
			buf = append(buf, '}', '\n')
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		var err error
		if b, err = next(); err != nil {
			return err
		}
	}
	return nil
}

// appendValue appends v as BigQuery's JSON loader reads the column's type: integers as
// numbers, exact decimals as strings, floats as numbers (NaN and the infinities as strings),
// BYTES in base64, dates and times in BigQuery's text forms, a TIMESTAMP as an instant in UTC,
// JSON as the value itself, everything else as its canonical text.
func appendValue(buf []byte, k load.Kind, v any) ([]byte, error) {
	switch x := v.(type) {
	case int64:
		return fmt.Appendf(buf, "%d", x), nil
	case bool:
		return fmt.Appendf(buf, "%t", x), nil
	case float64:
		switch {
		case math.IsNaN(x):
			return append(buf, `"NaN"`...), nil
		case math.IsInf(x, 1):
			return append(buf, `"Infinity"`...), nil
		case math.IsInf(x, -1):
			return append(buf, `"-Infinity"`...), nil
		}
		b, err := json.Marshal(x) // the shortest text that reads back the same float64
		return append(buf, b...), err
	case []byte:
		return appendString(buf, base64.StdEncoding.EncodeToString(x)), nil
	case time.Time:
		switch k {
		case load.KindDate:
			return appendString(buf, x.Format("2006-01-02")), nil
		case load.KindTimestampTZ:
			return appendString(buf, x.UTC().Format("2006-01-02 15:04:05.999999")+" UTC"), nil
		default:
			return appendString(buf, x.Format("2006-01-02 15:04:05.999999")), nil
		}
	case string:
		if k == load.KindJSON {
			var c bytes.Buffer // one line: NDJSON ends a row at a newline
			if err := json.Compact(&c, []byte(x)); err != nil {
				return nil, fmt.Errorf("not valid JSON: %w", err)
			}
			return append(buf, c.Bytes()...), nil
		}
		return appendString(buf, x), nil
	case pgtype.Numeric, pgtype.Time, pgtype.Interval, [16]byte:
		return appendString(buf, load.Canonical(k, x)), nil
	default:
		return nil, fmt.Errorf("a %T cannot be loaded into BigQuery", v)
	}
}

func appendString(buf []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(buf, b...)
}
