package myload

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/datanika/datanika/internal/load"

	driver "github.com/go-sql-driver/mysql"

	"github.com/datanika/datanika/internal/connectors"
	myconn "github.com/datanika/datanika/internal/connectors/mysql"
)

// mysqlDestination loads into one database of a MySQL or MariaDB server (a MySQL "schema" is
// a database): bulk load into a staging table, then publish.
//
// MySQL commits every DDL statement implicitly, so a publish cannot be one transaction the way
// PostgreSQL's is. It is ordered so a crash at any point leaves each table old or new:
//   - append and merge: structure first (the database, an empty target table, added nullable
//     columns, the _dnk tables — none of it changes a row), then one InnoDB transaction holding
//     the rows, the rejected rows and the state row;
//   - replace: the new table is built and verified beside the old one, swapped in by one
//     RENAME TABLE (atomic, crash-safe DDL), and the state is written after the swap in its own
//     transaction — a crash between the two leaves the new table with the old state, so the
//     next run re-reads rows rather than skipping any.
type mysqlDestination struct {
	db        *sql.DB
	conn      *sql.Conn
	connector sqldriver.Connector
	schema    string
	// loadData is true when rows are bulk-loaded with LOAD DATA LOCAL INFILE (the server allows
	// local_infile), false for multi-row prepared INSERTs.
	loadData bool
	// maxPacket is the server's max_allowed_packet, which bounds an INSERT statement.
	maxPacket int64
}

// mysqlForceInsert makes new MySQL destinations use INSERT even when LOAD DATA is allowed (for
// tests and the benchmark of both paths).
var mysqlForceInsert bool

// mysqlTableOptions gives loaded tables exact, case- and accent-sensitive text.
const mysqlTableOptions = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

// OpenDestination connects with a mysql connection config through env's Dialer and loads
// into the database named schema (created when missing).
func OpenDestination(ctx context.Context, config map[string]any, env connectors.Env, schema string) (load.Destination, error) {
	c, err := myconn.New(config, env)
	if err != nil {
		return nil, err
	}
	mc := c.DriverConfig()
	mc.ParseTime = false // values are read back as text, converted exactly per kind
	if mc.Params == nil {
		mc.Params = map[string]string{}
	}
	mc.Params["time_zone"] = "'+00:00'"
	// Strict for every table (temporary ones too): a value that does not fit fails instead of
	// being truncated; backslash escapes stay on, as the literals below assume.
	mc.Params["sql_mode"] = "'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO'"
	connector, err := driver.NewConnector(mc)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to destination mysql %s: %w", mc.Addr, err)
	}
	d := &mysqlDestination{db: db, conn: conn, connector: connector, schema: schema}
	var localInfile int64
	if err := conn.QueryRowContext(ctx, "SELECT @@local_infile, @@max_allowed_packet").Scan(&localInfile, &d.maxPacket); err != nil {
		_ = d.Close()
		return nil, fmt.Errorf("destination mysql %s: %w", mc.Addr, err)
	}
	d.loadData = localInfile == 1 && !mysqlForceInsert
	return d, nil
}

func (d *mysqlDestination) Close() error {
	_ = d.conn.Close()
	return d.db.Close()
}

func (d *mysqlDestination) qualified(table string) string {
	return load.MySQL.Qualified(d.schema, table)
}

func (d *mysqlDestination) tableExists(ctx context.Context, table string) (bool, error) {
	var n int
	err := d.conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		d.schema, table).Scan(&n)
	return n > 0, err
}

func (d *mysqlDestination) State(ctx context.Context, pipeline, table string) (string, bool, error) {
	exists, err := d.tableExists(ctx, load.StateTable)
	if err != nil || !exists {
		return "", false, err
	}
	var v string
	err = d.conn.QueryRowContext(ctx, "SELECT cursor_value FROM "+d.qualified(load.StateTable)+" WHERE pipeline = ? AND table_name = ?",
		pipeline, table).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

func (d *mysqlDestination) existingColumns(ctx context.Context, table string) ([]load.ExistingColumn, error) {
	rows, err := d.conn.QueryContext(ctx, `SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, d.schema, table)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []load.ExistingColumn
	for rows.Next() {
		var c load.ExistingColumn
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

type myTableLoad struct {
	d    *mysqlDestination
	plan *load.TablePlan
	// stage is a temporary table (append, merge), gone with the session, or the new table
	// itself (replace), built beside the old one.
	stage      string
	stageIdent string
	// ContractCheck: existing columns are widened before publishing.
	load.ContractCheck
	loadedAt time.Time
}

// columnType is the DDL of plan column i: key columns of text or bytes get a bounded type,
// since MySQL cannot key a longtext.
func (l *myTableLoad) columnType(i int) string {
	t := l.plan.Source.Columns[i].Type
	name := l.plan.Columns[i]
	if slices.Contains(l.plan.PrimaryKey, name) || slices.Contains(l.plan.Keys, name) {
		switch t.Kind {
		case load.KindText:
			return "varchar(255)"
		case load.KindChar:
			if t.Precision == 0 || t.Precision > load.MySQLMaxCharLength {
				return "varchar(255)"
			}
		case load.KindBytes:
			return "varbinary(255)"
		case load.KindJSON:
			return "varchar(255)"
		}
	}
	return load.MySQLColumnType(t)
}

func (l *myTableLoad) columnDefs(withKeyNull bool) []string {
	var cols []string
	for i := range l.plan.Source.Columns {
		if !l.Keep[i] {
			continue
		}
		def := myIdent(l.plan.Columns[i]) + " " + l.columnType(i)
		if withKeyNull && slices.Contains(l.plan.PrimaryKey, l.plan.Columns[i]) {
			def += " NOT NULL"
		}
		cols = append(cols, def)
	}
	return cols
}

func (d *mysqlDestination) Begin(ctx context.Context, plan *load.TablePlan) (load.TableLoad, error) {
	l := &myTableLoad{d: d, plan: plan, loadedAt: time.Now().UTC()}
	existing, err := d.existingColumns(ctx, plan.Name)
	if err != nil {
		return nil, err
	}
	if l.ContractCheck, err = load.NewContractCheck(plan, d.schema, existing, mysqlWiden, l.columnType, sameMySQLType); err != nil {
		return nil, err
	}
	// Staging lives in the destination database, so it must exist (an empty database is the
	// only trace a failed first run leaves).
	if _, err := d.conn.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+myIdent(d.schema)+" CHARACTER SET utf8mb4"); err != nil {
		return nil, fmt.Errorf("create database %q: %w", d.schema, err)
	}
	// Every name here is qualified, but MySQL resolves the alias of a multi-table DELETE (merge)
	// in the default database, which a connection configured without one lacks.
	if _, err := d.conn.ExecContext(ctx, "USE "+myIdent(d.schema)); err != nil {
		return nil, fmt.Errorf("use database %q: %w", d.schema, err)
	}
	if plan.Disposition == load.Replace {
		l.stage = load.ShortName("_dnk_new_", plan.RunID, plan.Name)
		l.stageIdent = d.qualified(l.stage)
		cols := l.columnDefs(true)
		// Defaults fill the loader's columns during the bulk load; they are dropped when publishing.
		cols = append(cols, myIdent(load.LoadedAtColumn)+" datetime(6) NOT NULL DEFAULT "+myLiteral(l.loadedAt.Format("2006-01-02 15:04:05.999999")),
			myIdent(load.RunIDColumn)+" varchar(255) NOT NULL DEFAULT "+myLiteral(plan.RunID))
		if len(plan.PrimaryKey) > 0 {
			// InnoDB clusters rows by the primary key: adding it later rebuilds the table.
			cols = append(cols, "PRIMARY KEY ("+myIdentList(plan.PrimaryKey)+")")
		}
		_, _ = d.conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+l.stageIdent)
		if _, err := d.conn.ExecContext(ctx, "CREATE TABLE "+l.stageIdent+" ("+strings.Join(cols, ", ")+")"+mysqlTableOptions); err != nil {
			return nil, fmt.Errorf("create the new table for %q: %w", plan.Name, err)
		}
		return l, nil
	}
	l.stage = load.ShortName("_dnk_stage_", plan.RunID, plan.Name)
	l.stageIdent = d.qualified(l.stage)
	cols := l.columnDefs(false)
	if plan.Disposition == load.Merge {
		// The load order, so the last row of a key wins.
		cols = append(cols, myIdent(load.StageSeqColumn)+" bigint NOT NULL AUTO_INCREMENT PRIMARY KEY")
	}
	_, _ = d.conn.ExecContext(ctx, "DROP TEMPORARY TABLE IF EXISTS "+l.stageIdent)
	if _, err := d.conn.ExecContext(ctx, "CREATE TEMPORARY TABLE "+l.stageIdent+" ("+strings.Join(cols, ", ")+")"+mysqlTableOptions); err != nil {
		return nil, fmt.Errorf("create staging for %q: %w", plan.Name, err)
	}
	return l, nil
}

var intDisplayWidth = regexp.MustCompile(`^(smallint|int|bigint|mediumint)\(\d+\)`)

// sameMySQLType compares a DDL type with information_schema's COLUMN_TYPE, which MariaDB and
// MySQL before 8.0.19 spell with a display width, and where MariaDB's JSON is a longtext.
func sameMySQLType(have, want string) bool {
	have = intDisplayWidth.ReplaceAllString(strings.ToLower(have), "$1")
	if have == "longtext" && want == "json" {
		return true
	}
	return have == want
}

// Discarded lists the source columns left out by the columns contract.
func (l *myTableLoad) Discarded() []int {
	var out []int
	for i, k := range l.Keep {
		if !k {
			out = append(out, i)
		}
	}
	return out
}

func (l *myTableLoad) copyColumns() []string {
	var cols []string
	for i, n := range l.plan.Columns {
		if l.Keep[i] {
			cols = append(cols, n)
		}
	}
	return cols
}

func (l *myTableLoad) Copy(ctx context.Context, next func() (*load.Batch, error)) (int64, error) {
	var n int64
	var err error
	if l.d.loadData {
		n, err = l.loadDataInfile(ctx, next)
	} else {
		n, err = l.insertRows(ctx, next)
	}
	if err != nil {
		return n, fmt.Errorf("copy into %q: %w", l.plan.Name, err)
	}
	return n, nil
}

func (l *myTableLoad) Abort() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	drop := "DROP TABLE IF EXISTS " + l.stageIdent //nolint:gosec // identifiers are quoted by the dialect
	if l.plan.Disposition != load.Replace {
		// A temporary table: gone with the session if the session is gone.
		_, _ = l.d.conn.ExecContext(ctx, "DROP TEMPORARY TABLE IF EXISTS "+l.stageIdent)
		return
	}
	if _, err := l.d.conn.ExecContext(ctx, drop); err == nil {
		return
	}
	// A cancelled statement closes the connection; drop the half-built table over a new one.
	db := sql.OpenDB(l.d.connector)
	defer func() { _ = db.Close() }()
	_, _ = db.ExecContext(ctx, drop)
}

func (l *myTableLoad) Publish(ctx context.Context, p load.Publication) (load.Published, error) {
	d, plan := l.d, l.plan
	var out load.Published
	staged, err := l.verify(ctx, p)
	if err != nil {
		return out, err
	}
	// Structure before rows: these statements commit implicitly and change no row.
	if p.State != nil {
		if err := d.ensureStateTable(ctx); err != nil {
			return out, err
		}
	}
	if len(p.Rejected) > 0 {
		if err := d.ensureRejectedTable(ctx); err != nil {
			return out, err
		}
	}
	if p.Ledger != nil {
		if err := d.ensureLedgerTable(ctx); err != nil {
			return out, err
		}
	}
	if plan.Disposition == load.Replace {
		if err := l.swap(ctx); err != nil {
			return out, err
		}
		out.RowsWritten = staged
		// After the swap: a crash in between leaves the new rows with the old state, which
		// re-reads rather than skips, and no ledger entry (every row of the new table carries
		// the run's id, which PublishedTables also looks at).
		return out, d.inTx(ctx, func(tx *sql.Tx) error { return d.writeExtras(ctx, tx, plan, p, out.RowsWritten) })
	}
	if err := l.ensureTarget(ctx); err != nil {
		return out, err
	}
	target := d.qualified(plan.Name)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		var done bool
		if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+target+" WHERE "+myIdent(load.RunIDColumn)+" = ?)",
			plan.RunID).Scan(&done); err != nil {
			return err
		}
		if done {
			// A retry of a run that already published: its rows are there, once.
			out.AlreadyPublished = true
			return nil
		}
		cols := myIdentList(l.copyColumns())
		//nolint:gosec // identifiers are quoted by the dialect; values are bind parameters
		insert := "INSERT INTO " + target + " (" + cols + ", " + myIdent(load.LoadedAtColumn) + ", " + myIdent(load.RunIDColumn) + ") "
		if plan.Disposition == load.Merge {
			var on []string
			for _, k := range plan.Keys {
				on = append(on, "t."+myIdent(k)+" = s."+myIdent(k))
			}
			//nolint:gosec // identifiers are quoted by the dialect
			if _, err := tx.ExecContext(ctx, "DELETE t FROM "+target+" t JOIN "+l.stageIdent+" s ON "+strings.Join(on, " AND ")); err != nil {
				return fmt.Errorf("merge into %q: %w", plan.Name, err)
			}
			// The temporary table is read once per statement (MySQL cannot reopen it): a window
			// picks the last row of each key.
			insert += "SELECT " + cols + ", ?, ? FROM (SELECT " + cols + ", ROW_NUMBER() OVER (PARTITION BY " + myIdentList(plan.Keys) +
				" ORDER BY " + myIdent(load.StageSeqColumn) + " DESC) AS _dnk_rn FROM " + l.stageIdent + ") s WHERE _dnk_rn = 1"
		} else {
			insert += "SELECT " + cols + ", ?, ? FROM " + l.stageIdent
		}
		res, err := tx.ExecContext(ctx, insert, l.loadedAt.Format("2006-01-02 15:04:05.999999"), plan.RunID)
		if err != nil {
			return fmt.Errorf("publish %q: %w", plan.Name, err)
		}
		if out.RowsWritten, err = res.RowsAffected(); err != nil {
			return err
		}
		return d.writeExtras(ctx, tx, plan, p, out.RowsWritten)
	})
	return out, err
}

// swap puts the verified new table in place of the old one with one RENAME TABLE: readers see
// the old table or the new one, and a crash leaves one or the other.
func (l *myTableLoad) swap(ctx context.Context) error {
	d, plan := l.d, l.plan
	if _, err := d.conn.ExecContext(ctx, "ALTER TABLE "+l.stageIdent+" ALTER COLUMN "+myIdent(load.LoadedAtColumn)+" DROP DEFAULT, ALTER COLUMN "+
		myIdent(load.RunIDColumn)+" DROP DEFAULT"); err != nil {
		return err
	}
	exists, err := d.tableExists(ctx, plan.Name)
	if err != nil {
		return err
	}
	target := d.qualified(plan.Name)
	if !exists {
		if _, err := d.conn.ExecContext(ctx, "RENAME TABLE "+l.stageIdent+" TO "+target); err != nil {
			return fmt.Errorf("swap in %q: %w", plan.Name, err)
		}
		return nil
	}
	old := d.qualified(load.ShortName("_dnk_old_", plan.RunID, plan.Name))
	_, _ = d.conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+old)
	if _, err := d.conn.ExecContext(ctx, "RENAME TABLE "+target+" TO "+old+", "+l.stageIdent+" TO "+target); err != nil {
		return fmt.Errorf("swap in %q: %w", plan.Name, err)
	}
	if _, err := d.conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+old); err != nil {
		return fmt.Errorf("drop the old %q: %w", plan.Name, err)
	}
	return nil
}

func (d *mysqlDestination) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := d.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (d *mysqlDestination) writeExtras(ctx context.Context, tx *sql.Tx, plan *load.TablePlan, p load.Publication, rows int64) error {
	if p.Ledger != nil {
		//nolint:gosec // identifiers are quoted by the dialect
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+d.qualified(load.LedgerTable)+` (run_id, table_name, pipeline, attempt, rows_written, cursor_value, published_at)
VALUES (?, ?, ?, ?, ?, NULLIF(?, ''), UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE attempt = VALUES(attempt), rows_written = VALUES(rows_written),
  cursor_value = VALUES(cursor_value), published_at = VALUES(published_at)`,
			plan.RunID, plan.Name, p.Ledger.Pipeline, p.Ledger.Attempt, rows, p.Ledger.Cursor); err != nil {
			return fmt.Errorf("write %s: %w", load.LedgerTable, err)
		}
	}
	if len(p.Rejected) > 0 {
		if err := d.writeRejected(ctx, tx, plan, p.Rejected); err != nil {
			return err
		}
	}
	if p.State != nil {
		//nolint:gosec // identifiers are quoted by the dialect
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+d.qualified(load.StateTable)+` (pipeline, table_name, cursor_value, updated_at)
VALUES (?, ?, ?, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE cursor_value = VALUES(cursor_value), updated_at = VALUES(updated_at)`,
			p.State.Pipeline, p.State.Table, p.State.Value); err != nil {
			return fmt.Errorf("write %s: %w", load.StateTable, err)
		}
	}
	return nil
}

// verify counts (and, for checksum, hashes) the staged rows against the source's figures.
func (l *myTableLoad) verify(ctx context.Context, p load.Publication) (int64, error) {
	staged := p.Staged
	if p.ExpectRows < 0 && p.ExpectChecksum == nil {
		return staged, nil
	}
	if err := l.d.conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+l.stageIdent).Scan(&staged); err != nil {
		return 0, err
	}
	if p.ExpectRows >= 0 && staged != p.ExpectRows {
		return 0, fmt.Errorf("%w: table %q: the source has %d rows in the window, the destination received %d",
			load.ErrVerify, l.plan.Name, p.ExpectRows, staged)
	}
	if p.ExpectChecksum != nil {
		var cols []load.Column
		var exprs []string
		for i, c := range l.plan.Source.Columns {
			if l.Keep[i] {
				cols = append(cols, c)
				exprs = append(exprs, mysqlReadExpr(load.Column{Name: l.plan.Columns[i], Type: c.Type}, false))
			}
		}
		got, err := mysqlChecksum(ctx, l.d.conn, "SELECT "+strings.Join(exprs, ", ")+" FROM "+l.stageIdent, cols)
		if err != nil {
			return 0, err
		}
		if want := *p.ExpectChecksum; got != want {
			return 0, fmt.Errorf("%w: table %q: checksum of the destination (%d rows, %x) differs from the source's (%d rows, %x)",
				load.ErrVerify, l.plan.Name, got.Rows, got.Sum, want.Rows, want.Sum)
		}
	}
	return staged, nil
}

// mysqlChecksum reads a query's rows, as the destination stores the given columns, and
// digests them like the source's values.
func mysqlChecksum(ctx context.Context, conn *sql.Conn, query string, cols []load.Column) (load.Checksum, error) {
	var sum load.Checksum
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return sum, err
	}
	defer func() { _ = rows.Close() }()
	raw := make([]sql.RawBytes, len(cols))
	targets := make([]any, len(raw))
	for i := range raw {
		targets[i] = &raw[i]
	}
	kinds := make([]load.Kind, len(cols))
	for i, c := range cols {
		kinds[i] = c.Type.Kind
	}
	row := make([]any, len(cols))
	for rows.Next() {
		if err := rows.Scan(targets...); err != nil {
			return sum, err
		}
		for i, r := range raw {
			row[i] = nil
			if r == nil {
				continue
			}
			if kinds[i] == load.KindInterval {
				row[i], err = parseMySQLInterval(string(r))
			} else {
				row[i], err = mysqlValue(kinds[i], r, false)
			}
			if err != nil {
				return sum, fmt.Errorf("read back column %q: %w", cols[i].Name, err)
			}
		}
		sum.Add(kinds, row)
	}
	return sum, rows.Err()
}

// ensureTarget creates the target table (empty), or widens and adds the columns evolve allows.
// Each is a DDL statement, committed on its own, that changes no row's values: a widening
// holds every value as it was (strict mode fails the statement otherwise), so a run failing
// after it leaves the same rows in a wider column, which the next run finds as it wants.
func (l *myTableLoad) ensureTarget(ctx context.Context) error {
	d, plan := l.d, l.plan
	target := d.qualified(plan.Name)
	if !l.Exists {
		cols := l.columnDefs(plan.Disposition == load.Merge)
		cols = append(cols, myIdent(load.LoadedAtColumn)+" datetime(6) NOT NULL", myIdent(load.RunIDColumn)+" varchar(255) NOT NULL",
			"KEY "+myIdent("_dnk_run_id_idx")+" ("+myIdent(load.RunIDColumn)+")")
		if plan.Disposition == load.Merge && len(plan.PrimaryKey) > 0 {
			// Built with the table: MySQL cannot add it inside the publishing transaction.
			cols = append(cols, "PRIMARY KEY ("+myIdentList(plan.PrimaryKey)+")")
		}
		if _, err := d.conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+target+" ("+strings.Join(cols, ", ")+")"+mysqlTableOptions); err != nil {
			return fmt.Errorf("create %q: %w", plan.Name, err)
		}
		return nil
	}
	for _, w := range l.Widen {
		if err := l.widenColumn(ctx, w); err != nil {
			return err
		}
	}
	for _, i := range l.AddColumns {
		if _, err := d.conn.ExecContext(ctx, "ALTER TABLE "+target+" ADD COLUMN "+myIdent(plan.Columns[i])+" "+l.columnType(i)); err != nil {
			return fmt.Errorf("add column %q to %q: %w", plan.Columns[i], plan.Name, err)
		}
	}
	for _, c := range []string{load.LoadedAtColumn, load.RunIDColumn} {
		if !slices.ContainsFunc(l.Existing, func(e load.ExistingColumn) bool { return e.Name == c }) {
			typ := "varchar(255)"
			if c == load.LoadedAtColumn {
				typ = "datetime(6)"
			}
			if _, err := d.conn.ExecContext(ctx, "ALTER TABLE "+target+" ADD COLUMN "+myIdent(c)+" "+typ); err != nil {
				return err
			}
		}
	}
	return nil
}

// widenColumn changes an existing column to the wider type. MODIFY COLUMN restates the whole
// column, so its NOT NULL is carried over.
func (l *myTableLoad) widenColumn(ctx context.Context, w load.ColumnWidening) error {
	d := l.d
	var nullable string
	if err := d.conn.QueryRowContext(ctx, `SELECT IS_NULLABLE FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?`, d.schema, l.plan.Name, w.Column).Scan(&nullable); err != nil {
		return fmt.Errorf("widen column %q of %q: %w", w.Column, l.plan.Name, err)
	}
	def := myIdent(w.Column) + " " + w.To
	if nullable == "NO" {
		def += " NOT NULL"
	}
	if _, err := d.conn.ExecContext(ctx, "ALTER TABLE "+d.qualified(l.plan.Name)+" MODIFY COLUMN "+def); err != nil {
		return fmt.Errorf("widen column %q of %q from %s to %s: %w", w.Column, l.plan.Name, w.From, w.To, err)
	}
	return nil
}

func (d *mysqlDestination) ensureStateTable(ctx context.Context) error {
	if _, err := d.conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+d.qualified(load.StateTable)+` (
  pipeline varchar(255) NOT NULL, table_name varchar(255) NOT NULL, cursor_value longtext NOT NULL,
  updated_at datetime(6) NOT NULL, PRIMARY KEY (pipeline, table_name))`+mysqlTableOptions); err != nil {
		return fmt.Errorf("create %s: %w", load.StateTable, err)
	}
	return nil
}

func (d *mysqlDestination) ensureLedgerTable(ctx context.Context) error {
	if _, err := d.conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+d.qualified(load.LedgerTable)+` (
  run_id varchar(255) NOT NULL, table_name varchar(255) NOT NULL, pipeline varchar(255) NOT NULL, attempt varchar(255) NOT NULL,
  rows_written bigint NOT NULL,
  cursor_value longtext NULL, published_at datetime(6) NOT NULL, PRIMARY KEY (run_id, table_name))`+mysqlTableOptions); err != nil {
		return fmt.Errorf("create %s: %w", load.LedgerTable, err)
	}
	return nil
}

// Published reads the ledger: what each table published by attempt.
func (d *mysqlDestination) Published(ctx context.Context, attempt string) (map[string]int64, error) {
	out := map[string]int64{}
	exists, err := d.tableExists(ctx, load.LedgerTable)
	if err != nil || !exists {
		return out, err
	}
	//nolint:gosec // identifiers are quoted by the dialect
	rows, err := d.conn.QueryContext(ctx, "SELECT table_name, rows_written FROM "+d.qualified(load.LedgerTable)+" WHERE attempt = ?", attempt)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, rows.Err()
}

func (d *mysqlDestination) ensureRejectedTable(ctx context.Context) error {
	if _, err := d.conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+d.qualified(load.RejectedTable)+` (
  run_id varchar(255) NOT NULL, table_name varchar(255) NOT NULL, column_name varchar(255) NOT NULL, reason longtext NOT NULL,
  `+"`row`"+` json NOT NULL, rejected_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))`+mysqlTableOptions); err != nil {
		return fmt.Errorf("create %s: %w", load.RejectedTable, err)
	}
	return nil
}

// writeRejected keeps the rows the contract discarded, with the reason, for later replay.
func (d *mysqlDestination) writeRejected(ctx context.Context, tx *sql.Tx, plan *load.TablePlan, rows []load.Rejected) error {
	const perStatement = 500
	for start := 0; start < len(rows); start += perStatement {
		chunk := rows[start:min(start+perStatement, len(rows))]
		args := make([]any, 0, 5*len(chunk))
		for _, r := range chunk {
			args = append(args, plan.RunID, plan.Name, r.Column, r.Reason, load.RowJSON(r.Row))
		}
		//nolint:gosec // identifiers are quoted by the dialect; values are bind parameters
		q := "INSERT INTO " + d.qualified(load.RejectedTable) + " (run_id, table_name, column_name, reason, `row`) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(chunk)), ", ")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("write %s: %w", load.RejectedTable, err)
		}
	}
	return nil
}

func myIdentList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = myIdent(n)
	}
	return strings.Join(q, ", ")
}

// myLiteral quotes a string for MySQL with the session's backslash escapes (the destination
// never sets NO_BACKSLASH_ESCAPES), for the places that take no bind parameters (DEFAULT,
// LOAD DATA).
func myLiteral(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `''`, "\x00", `\0`, "\n", `\n`, "\r", `\r`, "\x1a", `\Z`)
	return "'" + r.Replace(s) + "'"
}
