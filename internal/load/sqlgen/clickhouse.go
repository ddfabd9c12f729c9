package sqlgen

import (
	"fmt"
	"strings"

	"github.com/datanika/datanika/internal/load"
)

// ClickHouse is ClickHouse's dialect.
//
// ClickHouse has no transactions (only experimental ones), so each publish is built to need
// none. Rows are bulk-inserted into a staging MergeTree table; a publication table is then
// created AS the target (the same columns, engine and sorting key), filled from staging
// (merge keeps the last row of each key with LIMIT 1 BY), and attached to the target with
// ALTER TABLE … ATTACH PARTITION tuple() FROM — one atomic step for readers, since an
// unpartitioned table has a single partition. Replace fills a new table and swaps it in with
// EXCHANGE TABLES (atomic, Atomic database engine). Merge tables are ReplacingMergeTree
// ordered by the keys, versioned by _dnk_loaded_at: the newest load of a key wins when parts
// merge, and readers who need exactly one row per key now read with FINAL.
//
// The state is a ReplacingMergeTree row written after the data. A retry of the same run finds
// its run id (Guard) and skips the data; a crash between the data and the state means the
// next run starts from the previous mark: merge absorbs the re-read window, append repeats it
// (with a new run id) — the one gap ClickHouse leaves, documented rather than hidden.
var ClickHouse Dialect = clickhouseDialect{}

type clickhouseDialect struct{}

func (clickhouseDialect) Name() string { return "clickhouse" }

// Quote back-quotes a name, escaping backslashes and backticks with a backslash.
func (clickhouseDialect) Quote(name string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`")
	return "`" + r.Replace(name) + "`"
}

// ValidateName: ClickHouse names may hold any character but NUL; long column names become
// hashed file names on disk, so no length is refused beyond 1,024 bytes.
func (clickhouseDialect) ValidateName(kind, name string) error {
	return validateCommon("ClickHouse", kind, name, 1024, true)
}

// ColumnType maps a kind to ClickHouse DDL (Nullable is added for non-key columns by the
// table definition). Decimal goes up to 76 digits: numeric(38,10) is Decimal(38, 10), an
// unconstrained decimal Decimal(76, 38). Dates are Date32 and timestamps DateTime64(6, 'UTC')
// (wall-clock timestamps are stored as if UTC): both span 1900-01-01 to 2299-12-31 only, a
// value outside cannot be held. Time and interval travel as String (their canonical text).
func (clickhouseDialect) ColumnType(t load.Type, _ bool) string {
	switch t.Kind {
	case load.KindInt16:
		return "Int16"
	case load.KindInt32:
		return "Int32"
	case load.KindInt64:
		return "Int64"
	case load.KindDecimal:
		p, s := decimalPS(t, 76, 76, 76, 38)
		return fmt.Sprintf("Decimal(%d, %d)", p, s)
	case load.KindFloat32:
		return "Float32"
	case load.KindFloat64:
		return "Float64"
	case load.KindBool:
		return "Bool"
	case load.KindDate:
		return "Date32"
	case load.KindTimestamp, load.KindTimestampTZ:
		return "DateTime64(6, 'UTC')"
	case load.KindUUID:
		return "UUID"
	default: // text, bytes, time, interval, JSON
		return "String"
	}
}

func (d clickhouseDialect) qualified(schema, table string) string {
	return d.Quote(schema) + "." + d.Quote(table)
}

// columnDef is a column with Nullable unless it is a key (sorting keys cannot be Nullable).
func (d clickhouseDialect) columnDef(p *Plan, c Column) string {
	typ := d.ColumnType(c.Type, false)
	if !isKey(p, c.Name) {
		typ = "Nullable(" + typ + ")"
	}
	return d.Quote(c.Name) + " " + typ
}

func (d clickhouseDialect) Script(p *Plan) (*Script, error) {
	if err := check(d, p); err != nil {
		return nil, err
	}
	target := d.qualified(p.Schema, p.Table)
	sc := &Script{Dialect: d.Name()}
	sc.Prepare = append(sc.Prepare, stmt("CREATE DATABASE IF NOT EXISTS "+d.Quote(p.Schema)))
	if p.State != nil {
		sc.Prepare = append(sc.Prepare, stmt("CREATE TABLE IF NOT EXISTS "+d.qualified(p.Schema, load.StateTable)+
			" (pipeline String, table_name String, cursor_value String, updated_at DateTime64(6, 'UTC'))"+
			" ENGINE = ReplacingMergeTree(updated_at) ORDER BY (pipeline, table_name)"))
	}
	rt := d.qualified(p.Schema, load.RejectedTable)
	sc.Prepare = append(sc.Prepare, stmt("CREATE TABLE IF NOT EXISTS "+rt+
		" (run_id String, table_name String, column_name String, reason String, `row` String, rejected_at DateTime64(6, 'UTC'))"+
		" ENGINE = MergeTree ORDER BY (table_name, run_id)"))

	defs := make([]string, 0, len(p.Columns)+2)
	for _, c := range p.Columns {
		defs = append(defs, d.columnDef(p, c))
	}
	defs = append(defs, d.Quote(loadedAt)+" DateTime64(6, 'UTC')", d.Quote(runID)+" String")
	engine := "MergeTree ORDER BY tuple()"
	switch {
	case p.Disposition == load.Merge:
		engine = "ReplacingMergeTree(" + d.Quote(loadedAt) + ") ORDER BY (" + list(d, "", p.Keys) + ")"
	case len(p.PrimaryKey) > 0 && p.Disposition == load.Replace:
		engine = "MergeTree ORDER BY (" + list(d, "", p.PrimaryKey) + ")"
	}
	tableDDL := " (" + strings.Join(defs, ", ") + ") ENGINE = " + engine
	if !p.Exists {
		sc.Prepare = append(sc.Prepare, stmt("CREATE TABLE IF NOT EXISTS "+target+tableDDL))
	}
	for _, i := range p.AddColumns {
		c := p.Columns[i]
		sc.Prepare = append(sc.Prepare, stmt("ALTER TABLE "+target+" ADD COLUMN IF NOT EXISTS "+d.columnDef(p, c)))
	}
	stage := d.qualified(p.Schema, shortName("_dnk_stage_", p))
	sc.Stage, sc.StageColumns = stage, stageColumns(p)
	sd := make([]string, 0, len(p.Columns)+1)
	for _, c := range p.Columns {
		sd = append(sd, d.Quote(c.Name)+" Nullable("+d.ColumnType(c.Type, false)+")")
	}
	if p.Disposition == load.Merge {
		sd = append(sd, d.Quote(seq)+" UInt64")
	}
	sc.Prepare = append(sc.Prepare, stmt("DROP TABLE IF EXISTS "+stage),
		stmt("CREATE TABLE "+stage+" ("+strings.Join(sd, ", ")+") ENGINE = MergeTree ORDER BY tuple()"))
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(sc.StageColumns)), ", ")
	sc.StageInsert = stmt("INSERT INTO " + stage + " (" + list(d, "", sc.StageColumns) + ") VALUES (" + ph + ")")

	cols := names(p.Columns)
	all := list(d, "", cols) + ", " + d.Quote(loadedAt) + ", " + d.Quote(runID)
	pub := d.qualified(p.Schema, shortName("_dnk_pub_", p))
	sel := "SELECT " + list(d, "", cols) + ", now64(6, 'UTC'), ? FROM " + stage
	if p.Disposition == load.Merge {
		sel += " ORDER BY " + d.Quote(seq) + " DESC LIMIT 1 BY " + list(d, "", p.Keys)
	}
	// The target exists once Prepare has run, so the guard always applies.
	sc.Guard = stmt("SELECT count() FROM "+target+" WHERE "+d.Quote(runID)+" = ?", Arg{"run_id", p.RunID})
	if p.Disposition == load.Replace {
		sc.Prepare = append(sc.Prepare, stmt("DROP TABLE IF EXISTS "+pub), stmt("CREATE TABLE "+pub+tableDDL))
		sc.Data = []Statement{
			stmt("INSERT INTO "+pub+" ("+all+") "+sel, Arg{"run_id", p.RunID}),
			stmt("EXCHANGE TABLES " + target + " AND " + pub),
		}
	} else {
		sc.Prepare = append(sc.Prepare, stmt("DROP TABLE IF EXISTS "+pub))
		sc.Data = []Statement{
			stmt("CREATE TABLE " + pub + " AS " + target),
			stmt("INSERT INTO "+pub+" ("+all+") "+sel, Arg{"run_id", p.RunID}),
			stmt("ALTER TABLE " + target + " ATTACH PARTITION tuple() FROM " + pub),
		}
	}
	sc.RejectedInsert = stmt("INSERT INTO "+rt+" (run_id, table_name, column_name, reason, `row`, rejected_at) VALUES (?, ?, ?, ?, ?, now64(6, 'UTC'))",
		Arg{"run_id", p.RunID}, Arg{"table_name", p.Table}, Arg{"column_name", nil}, Arg{"reason", nil}, Arg{"row", nil})
	if p.State != nil {
		sc.State = []Statement{stmt("INSERT INTO "+d.qualified(p.Schema, load.StateTable)+
			" (pipeline, table_name, cursor_value, updated_at) VALUES (?, ?, ?, now64(6, 'UTC'))", stateArgs(p.State)...)}
	}
	sc.Cleanup = []Statement{stmt("DROP TABLE IF EXISTS " + stage), stmt("DROP TABLE IF EXISTS " + pub)}
	sc.Notes = []string{
		"no transactions: each Data statement stands alone; the rows become visible in one step (ATTACH PARTITION tuple() FROM, or EXCHANGE TABLES for replace).",
		"a retry of the same run finds its run id (Guard) and skips Data; the state (a ReplacingMergeTree row, read with FINAL) is written after the data, so a crash between them re-reads one window: merge absorbs it, append repeats it.",
		"merge tables are ReplacingMergeTree ordered by the keys and versioned by _dnk_loaded_at: read with FINAL for exactly one row per key before background merges.",
		"staging and publication tables are ordinary tables named after the run: the next attempt of the run drops what a crash left.",
	}
	return sc, nil
}
