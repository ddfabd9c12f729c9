package sqlgen

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/datanika/datanika/internal/load"
)

// BulkFunc fills a script's Stage with the batches next returns, on the destination's pinned
// connection (temporary staging tables belong to one session). keep marks the source columns
// that are written.
type BulkFunc func(ctx context.Context, conn *sql.Conn, sc *Script, cols []load.Column, keep []bool, next func() (*load.Batch, error)) (int64, error)

// Destination is a load.Destination over database/sql that runs a Dialect's scripts: SQL
// Server (bulk copy), Snowflake and ClickHouse (the driver's batched INSERT), Redshift (files
// on S3 and COPY, see S3Staging), one table at a time on one pinned connection. Verify is by count (checksum is not supported yet), and the
// data_type contract is not compared with the existing columns' types.
type Destination struct {
	DB      *sql.DB
	Dialect Dialect
	Schema  string
	// Bulk fills staging; nil uses RowsBulk (or MSSQLBulk for SQL Server).
	Bulk BulkFunc
	// S3 is the bulk source of Redshift plans whose files someone else wrote (tests); Staging,
	// when set, writes each table's files itself and takes precedence.
	S3 *S3Source
	// Staging is Redshift's bulk path: gzip CSV files and a manifest in S3, then COPY.
	Staging *S3Staging
	// Rewrite, when set, edits each statement before it runs ("" skips it): for stand-ins.
	Rewrite func(string) string

	conn *sql.Conn
	// ready says the session of conn is set up.
	ready bool
}

var _ load.Destination = (*Destination)(nil)

// connection returns the pinned connection, connecting (unless an opener already did) and
// setting the session up the first time.
func (d *Destination) connection(ctx context.Context) (*sql.Conn, error) {
	if d.ready {
		return d.conn, nil
	}
	if err := d.setUp(ctx); err != nil {
		return nil, fmt.Errorf("connect to the %s destination: %w", d.Dialect.Name(), err)
	}
	return d.conn, nil
}

func (d *Destination) setUp(ctx context.Context) error {
	if d.conn == nil {
		c, err := d.DB.Conn(ctx)
		if err != nil {
			return err
		}
		d.conn = c
	}
	sc, err := d.Dialect.Script(&Plan{Schema: d.Schema, Table: "x", Columns: []Column{{"x", load.Type{}}}, Disposition: load.Append,
		RunID: "session", S3: &S3Source{Manifest: "s3://x", IAMRole: "x"}})
	if err != nil {
		return err
	}
	for _, s := range sc.Session {
		if err := d.exec(ctx, s); err != nil {
			return fmt.Errorf("session set-up: %w", err)
		}
	}
	d.ready = true
	return nil
}

// args turns a statement's parameters into the driver's: named for SQL Server.
func (d *Destination) args(in []Arg) []any {
	out := make([]any, len(in))
	for i, a := range in {
		if d.Dialect.Name() == "mssql" {
			out[i] = sql.Named(a.Name, a.Value)
		} else {
			out[i] = a.Value
		}
	}
	return out
}

func (d *Destination) text(s string) string {
	if d.Rewrite != nil {
		return d.Rewrite(s)
	}
	return s
}

func (d *Destination) exec(ctx context.Context, st Statement) error {
	q := d.text(st.SQL)
	if q == "" {
		return nil
	}
	if _, err := d.conn.ExecContext(ctx, q, d.args(st.Args)...); err != nil {
		return fmt.Errorf("%s: %w", firstWords(st.Printable()), err)
	}
	return nil
}

// firstWords names a failed statement without flooding the message.
func firstWords(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// placeholder is the n-th (1-based) positional parameter of the dialect.
func (d *Destination) placeholder(n int) string {
	switch d.Dialect.Name() {
	case "mssql":
		return fmt.Sprintf("@p%d", n)
	case "redshift":
		return fmt.Sprintf("$%d", n)
	default:
		return "?"
	}
}

// columnsOf lists a table's columns from information_schema (empty when it does not exist).
func (d *Destination) columnsOf(ctx context.Context, table string) ([]string, error) {
	rows, err := d.conn.QueryContext(ctx, d.text("SELECT column_name FROM information_schema.columns WHERE table_schema = "+
		d.placeholder(1)+" AND table_name = "+d.placeholder(2)), d.Schema, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %q: %w", table, err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// State reads the stored incremental state from <schema>._dnk_state.
func (d *Destination) State(ctx context.Context, pipeline, table string) (string, bool, error) {
	if _, err := d.connection(ctx); err != nil {
		return "", false, err
	}
	cols, err := d.columnsOf(ctx, load.StateTable)
	if err != nil || len(cols) == 0 {
		return "", false, err
	}
	final := ""
	if d.Dialect.Name() == "clickhouse" {
		final = " FINAL"
	}
	var v string
	err = d.conn.QueryRowContext(ctx, d.text("SELECT cursor_value FROM "+d.Dialect.Quote(d.Schema)+"."+d.Dialect.Quote(load.StateTable)+final+
		" WHERE pipeline = "+d.placeholder(1)+" AND table_name = "+d.placeholder(2)), pipeline, table).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// Close closes the pinned connection and the pool.
func (d *Destination) Close() error {
	var err error
	if d.conn != nil {
		err = d.conn.Close()
	}
	return errors.Join(err, d.DB.Close())
}

type tableLoad struct {
	d    *Destination
	tp   *load.TablePlan
	plan *Plan
	keep []bool
	sc   *Script
	// files is where Staging writes this table's files (Redshift).
	files *s3Files
}

// Begin applies the schema contract against the existing table and runs Prepare.
func (d *Destination) Begin(ctx context.Context, tp *load.TablePlan) (load.TableLoad, error) {
	if _, err := d.connection(ctx); err != nil {
		return nil, err
	}
	existing, err := d.columnsOf(ctx, tp.Name)
	if err != nil {
		return nil, err
	}
	p, keep, err := PlanFor(d.Dialect, d.Schema, tp, existing)
	if err != nil {
		return nil, err
	}
	p.S3 = d.S3
	l := &tableLoad{d: d, tp: tp, keep: keep}
	if d.Staging != nil {
		l.files = d.Staging.files(tp.RunID, d.Schema, tp.Name)
		p.S3 = l.files.source()
	}
	l.plan = p
	withState := *p
	withState.State = &load.StateEntry{} // so that Prepare creates the state table
	if l.sc, err = d.Dialect.Script(&withState); err != nil {
		return nil, err
	}
	for _, s := range l.sc.Prepare {
		if err := d.exec(ctx, s); err != nil {
			l.Abort()
			return nil, fmt.Errorf("prepare %q: %w", tp.Name, err)
		}
	}
	return l, nil
}

// PlanFor is the plan of a table's load into schema, given the columns the target already has
// (none: it does not exist), with the schema contract applied: freeze fails on a missing table
// or column (load.ErrContract), discard_value and discard_row leave a missing column out (keep
// is false for it), evolve adds it. A replace rebuilds the table where the dialect drops it
// first, so no column is missing then.
func PlanFor(dialect Dialect, schema string, tp *load.TablePlan, existing []string) (p *Plan, keep []bool, err error) {
	keep = make([]bool, len(tp.Columns))
	p = &Plan{Schema: schema, Table: tp.Name, Disposition: tp.Disposition, Keys: tp.Keys, PrimaryKey: tp.PrimaryKey,
		RunID: tp.RunID, Exists: len(existing) > 0}
	if !p.Exists && tp.Contract.Tables == load.ContractFreeze {
		return nil, nil, fmt.Errorf("%w: table %q does not exist in the destination and schema_contract.tables is freeze",
			load.ErrContract, schema+"."+tp.Name)
	}
	rebuilt := tp.Disposition == load.Replace && dialect.Name() != "snowflake" && dialect.Name() != "bigquery"
	for i, name := range tp.Columns {
		keep[i] = true
		if p.Exists && !rebuilt && !slices.Contains(existing, name) {
			switch tp.Contract.Columns {
			case load.ContractFreeze:
				return nil, nil, fmt.Errorf("%w: column %q of %q is not in the destination and schema_contract.columns is freeze",
					load.ErrContract, name, schema+"."+tp.Name)
			case load.ContractDiscardValue, load.ContractDiscardRow:
				keep[i] = false
				continue
			default:
				p.AddColumns = append(p.AddColumns, len(p.Columns))
			}
		}
		p.Columns = append(p.Columns, Column{Name: name, Type: tp.Source.Columns[i].Type})
	}
	return p, keep, nil
}

// Discarded lists the source columns left out by the columns contract (as the PostgreSQL
// destination does), so the run drops discard_row rows.
func (l *tableLoad) Discarded() []int {
	var out []int
	for i, k := range l.keep {
		if !k {
			out = append(out, i)
		}
	}
	return out
}

func (l *tableLoad) Copy(ctx context.Context, next func() (*load.Batch, error)) (int64, error) {
	bulk := l.d.Bulk
	if bulk == nil && l.files != nil {
		bulk = l.files.bulk(l.d)
	}
	if bulk == nil {
		bulk = RowsBulk
		if l.d.Dialect.Name() == "mssql" {
			bulk = MSSQLBulk
		}
	}
	n, err := bulk(ctx, l.d.conn, l.sc, l.tp.Source.Columns, l.keep, next)
	if err != nil {
		return n, fmt.Errorf("copy into %q: %w", l.tp.Name, err)
	}
	return n, nil
}

func (l *tableLoad) Abort() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range l.sc.Cleanup {
		_ = l.d.exec(ctx, s)
	}
}

func (l *tableLoad) Publish(ctx context.Context, pub load.Publication) (out load.Published, err error) {
	d := l.d
	if pub.ExpectChecksum != nil {
		return out, fmt.Errorf("verify: checksum is not supported by the %s destination yet; use verify: count", d.Dialect.Name())
	}
	p := *l.plan
	p.State = pub.State
	sc, err := d.Dialect.Script(&p)
	if err != nil {
		return out, err
	}
	defer l.Abort() // drops staging whatever happens
	for _, s := range sc.Finish {
		if err := d.exec(ctx, s); err != nil {
			return out, err
		}
	}
	inTx := false
	defer func() {
		if err != nil && inTx {
			_, _ = d.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	for _, s := range sc.Begin {
		if err = d.exec(ctx, s); err != nil {
			return out, err
		}
		inTx = true
	}
	staged := pub.Staged
	if pub.ExpectRows >= 0 {
		if err = d.conn.QueryRowContext(ctx, d.text("SELECT COUNT(*) FROM "+sc.Stage)).Scan(&staged); err != nil {
			return out, fmt.Errorf("count staged rows of %q: %w", l.tp.Name, err)
		}
		if staged != pub.ExpectRows {
			err = fmt.Errorf("%w: table %q: the source has %d rows in the window, the destination received %d",
				load.ErrVerify, l.tp.Name, pub.ExpectRows, staged)
			return out, err
		}
	}
	if sc.Guard.SQL != "" {
		var n int64
		if err = d.conn.QueryRowContext(ctx, d.text(sc.Guard.SQL), d.args(sc.Guard.Args)...).Scan(&n); err != nil {
			return out, fmt.Errorf("guard of %q: %w", l.tp.Name, err)
		}
		out.AlreadyPublished = n > 0
	}
	if !out.AlreadyPublished {
		for _, s := range sc.Data {
			if err = d.exec(ctx, s); err != nil {
				return out, fmt.Errorf("publish %q: %w", l.tp.Name, err)
			}
		}
		out.RowsWritten = staged
		if l.plan.Disposition == load.Merge { // duplicates of a key in the stream become one row
			if err = d.conn.QueryRowContext(ctx, d.text("SELECT COUNT(*) FROM (SELECT DISTINCT "+list(d.Dialect, "", l.plan.Keys)+
				" FROM "+sc.Stage+") AS k")).Scan(&out.RowsWritten); err != nil {
				return out, err
			}
		}
		for _, r := range pub.Rejected {
			row, jerr := json.Marshal(r.Row)
			if jerr != nil {
				row = []byte("{}")
			}
			st := sc.RejectedInsert
			st.Args = slices.Clone(st.Args)
			for i := range st.Args {
				switch st.Args[i].Name {
				case "column_name":
					st.Args[i].Value = r.Column
				case "reason":
					st.Args[i].Value = r.Reason
				case "row":
					st.Args[i].Value = string(row)
				}
			}
			if err = d.exec(ctx, st); err != nil {
				return out, fmt.Errorf("write %s: %w", load.RejectedTable, err)
			}
		}
	}
	for _, s := range slices.Concat(sc.State, sc.Commit) {
		if err = d.exec(ctx, s); err != nil {
			return out, fmt.Errorf("commit %q: %w", l.tp.Name, err)
		}
	}
	inTx = false
	for _, s := range sc.After {
		if err = d.exec(ctx, s); err != nil {
			return out, err
		}
	}
	return out, nil
}

// DriverValue converts a batch value to what database/sql drivers take: exact decimals,
// times of day, intervals and UUIDs as their canonical text; the rest as they are.
func DriverValue(k load.Kind, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case pgtype.Numeric, pgtype.Time, pgtype.Interval, [16]byte:
		return load.Canonical(k, x)
	default:
		return v
	}
}

// mssqlValue is DriverValue for SQL Server's bulk copy, which takes a uniqueidentifier as
// its own (mixed-endian) bytes.
func mssqlValue(k load.Kind, v any) any {
	if u, ok := v.([16]byte); ok {
		return mssql.UniqueIdentifier(u)
	}
	return DriverValue(k, v)
}

// stageRow is a batch row as the stage takes it: kept columns converted, then _dnk_seq.
func stageRow(dst []any, cols []load.Column, keep []bool, row []any, seq int64, withSeq bool) []any {
	return stageRowWith(DriverValue, dst, cols, keep, row, seq, withSeq)
}

func stageRowWith(conv func(load.Kind, any) any, dst []any, cols []load.Column, keep []bool, row []any, seq int64, withSeq bool) []any {
	dst = dst[:0]
	for i, v := range row {
		if keep[i] {
			dst = append(dst, conv(cols[i].Type.Kind, v))
		}
	}
	if withSeq {
		dst = append(dst, seq)
	}
	return dst
}

// RowsBulk fills the stage through a prepared StageInsert inside a driver transaction: for
// ClickHouse's database/sql driver this is its batch (one block sent at commit); for others it
// is row by row, the slow path.
func RowsBulk(ctx context.Context, conn *sql.Conn, sc *Script, cols []load.Column, keep []bool, next func() (*load.Batch, error)) (int64, error) {
	if sc.StageInsert.SQL == "" {
		return 0, fmt.Errorf("the %s dialect has no row insert into staging", sc.Dialect)
	}
	return bulkThrough(ctx, conn, sc, cols, keep, next, sc.StageInsert.SQL, false, DriverValue)
}

// MSSQLBulk fills the stage with SQL Server's bulk copy (go-mssqldb's CopyIn).
func MSSQLBulk(ctx context.Context, conn *sql.Conn, sc *Script, cols []load.Column, keep []bool, next func() (*load.Batch, error)) (int64, error) {
	return bulkThrough(ctx, conn, sc, cols, keep, next, mssql.CopyIn(sc.Stage, mssql.BulkOptions{Tablock: true}, sc.StageColumns...), true, mssqlValue)
}

func bulkThrough(ctx context.Context, conn *sql.Conn, sc *Script, cols []load.Column, keep []bool, next func() (*load.Batch, error),
	query string, flush bool, conv func(load.Kind, any) any) (n int64, err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	st, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return 0, err
	}
	defer func() { _ = st.Close() }()
	withSeq := slices.Contains(sc.StageColumns, seq)
	var row []any
	for {
		b, err := next()
		if err != nil {
			return n, err
		}
		if b == nil {
			break
		}
		for i := range b.Len() {
			n++
			row = stageRowWith(conv, row, cols, keep, b.Row(i), n, withSeq)
			if _, err := st.ExecContext(ctx, row...); err != nil {
				return n, err
			}
		}
	}
	if flush {
		if _, err := st.ExecContext(ctx); err != nil {
			return n, err
		}
	}
	return n, tx.Commit()
}
