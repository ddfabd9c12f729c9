// Package sqlgen owns the SQL of the destinations that the load engine reaches through SQL
// only: SQL Server, Redshift, BigQuery, Snowflake and ClickHouse. For each it quotes identifiers,
// maps the logical kinds to DDL, and turns a table's plan into the statements of a load, in
// order: session set-up, preparation (schema, bookkeeping tables, target, staging), the bulk
// load where it is SQL (Redshift's COPY from S3), the publishing step (one transaction where
// the system has them) with the state and the rejected rows, and the clean-up.
//
// Everything here is a pure function of the plan: no connection, no clock. The statements are
// golden-tested (testdata/<dialect>/*.sql); a driver runs them in the order given.
package sqlgen

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/datanika/datanika/internal/load"
)

// Column is a destination column.
type Column struct {
	Name string
	Type load.Type
}

// Plan is one table's load as the SQL of a destination sees it.
type Plan struct {
	// Schema is the destination schema (BigQuery: dataset; ClickHouse: database).
	Schema string
	Table  string
	// Columns are the data columns, in the order the bulk load writes them.
	Columns []Column
	// Disposition is load.Append, load.Replace or load.Merge.
	Disposition string
	// Keys are the merge keys (merge); PrimaryKey the key the table keeps.
	Keys       []string
	PrimaryKey []string
	RunID      string
	// Exists says the target table is already there (with these columns, after AddColumns).
	Exists bool
	// AddColumns lists the columns (indexes into Columns) that evolve adds to an existing table.
	AddColumns []int
	// State, when set, is written with the publish.
	State *load.StateEntry
	// S3 is Redshift's bulk source; required there.
	S3 *S3Source
}

// S3Source says where the engine wrote a table's files for Redshift's COPY.
type S3Source struct {
	// Manifest is the s3:// URL of the manifest listing the exact files of this load.
	Manifest string
	// IAMRole, when set, is the role ARN Redshift assumes to read the files (preferred).
	IAMRole string
	// AccessKeyID and SecretAccessKey are used when there is no role; they are masked in
	// Statement.Redacted.
	AccessKeyID, SecretAccessKey, SessionToken string
	// Region of the bucket, when it differs from the cluster's.
	Region string
}

// Arg is one bind parameter. Name is used where the dialect binds by name (SQL Server,
// BigQuery); otherwise parameters bind in order.
type Arg struct {
	Name  string
	Value any
}

// Statement is one SQL statement and its parameters.
type Statement struct {
	SQL  string
	Args []Arg
	// Redacted is SQL with secrets masked, for logs and golden files; empty when SQL has none.
	Redacted string
}

// Printable is the statement as it may be logged.
func (s Statement) Printable() string {
	if s.Redacted != "" {
		return s.Redacted
	}
	return s.SQL
}

// Script is a table's load, statement by statement. A driver runs Session once per connection,
// then Prepare, then the bulk load into Stage (Load where the load is SQL, the driver's bulk
// API otherwise), Finish, then Begin, Guard (skipping Data when it counts rows: a retry), Data, one
// RejectedInsert per rejected row, State and Commit; After follows the commit, and Cleanup runs
// last on success and on abort.
type Script struct {
	Dialect string
	Session []Statement
	Prepare []Statement
	// Stage is the quoted table the bulk load fills, StageColumns its columns in order (the
	// data columns, then _dnk_seq for merge: the row's ordinal in the stream, which decides
	// the last row of a key).
	Stage        string
	StageColumns []string
	// StageName is Stage unquoted and unqualified, for drivers that fill it through an API
	// rather than SQL (BigQuery's load job).
	StageName string
	// StageInsert is a parameterised one-row INSERT into Stage, for drivers whose bulk API is
	// batched parameter arrays (Snowflake, ClickHouse).
	StageInsert Statement
	Load        []Statement
	// Finish follows the bulk load, before Begin: index builds that must not hold the
	// publishing transaction (SQL Server: replace's primary key).
	Finish []Statement
	Begin  []Statement
	// Guard counts the rows this run already published; a retry that finds some skips Data.
	Guard          Statement
	Data           []Statement
	RejectedInsert Statement
	State          []Statement
	Commit         []Statement
	After          []Statement
	Cleanup        []Statement
	// Transactional says Begin…Commit is one transaction; when false (ClickHouse) each
	// statement stands alone and Notes say how crash safety is kept.
	Transactional bool
	Notes         []string
}

// Dialect generates one system's SQL.
type Dialect interface {
	// Name is the system: mssql, redshift, bigquery, snowflake, clickhouse.
	Name() string
	// Quote quotes one identifier. Validate first: a name the system cannot hold is refused
	// there, not mangled here.
	Quote(name string) string
	// ValidateName says why the system cannot hold a name (length, forbidden characters).
	ValidateName(kind, name string) error
	// ColumnType is the DDL of a logical type; key columns may need a bounded type.
	ColumnType(t load.Type, key bool) string
	// Script is the table's load.
	Script(p *Plan) (*Script, error)
}

// Dialects lists every dialect by name.
var Dialects = map[string]Dialect{
	"mssql":      MSSQL,
	"redshift":   Redshift,
	"bigquery":   BigQuery,
	"snowflake":  Snowflake,
	"clickhouse": ClickHouse,
}

// ErrName is the error of a name the destination cannot hold.
var ErrName = errors.New("invalid destination name")

// Bookkeeping columns and tables, as the PostgreSQL destination names them.
const (
	loadedAt = load.LoadedAtColumn
	runID    = load.RunIDColumn
	seq      = "_dnk_seq"
	rowNum   = "_dnk_rn"
)

// check validates the plan and every name in it.
func check(d Dialect, p *Plan) error {
	switch p.Disposition {
	case load.Append, load.Replace, load.Merge:
	default:
		return fmt.Errorf("unknown disposition %q", p.Disposition)
	}
	if len(p.Columns) == 0 {
		return fmt.Errorf("table %q has no columns", p.Table)
	}
	if p.RunID == "" {
		return errors.New("a run id is required")
	}
	if err := d.ValidateName("schema", p.Schema); err != nil {
		return err
	}
	if err := d.ValidateName("table", p.Table); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range p.Columns {
		if err := d.ValidateName("column", c.Name); err != nil {
			return err
		}
		k := c.Name
		if d.Name() == "bigquery" || d.Name() == "redshift" {
			k = strings.ToLower(k) // case-insensitive column names
		}
		if seen[k] {
			return fmt.Errorf("%w: column %q of %q clashes with another column in %s", ErrName, c.Name, p.Table, d.Name())
		}
		seen[k] = true
		if strings.HasPrefix(c.Name, "_dnk_") && (c.Name == loadedAt || c.Name == runID || c.Name == seq || c.Name == rowNum) {
			return fmt.Errorf("%w: column %q of %q is reserved for the loader", ErrName, c.Name, p.Table)
		}
	}
	for _, k := range slices.Concat(p.Keys, p.PrimaryKey) {
		if !slices.ContainsFunc(p.Columns, func(c Column) bool { return c.Name == k }) {
			return fmt.Errorf("key column %q is not a column of %q", k, p.Table)
		}
	}
	if p.Disposition == load.Merge && len(p.Keys) == 0 {
		return fmt.Errorf("merge into %q needs keys", p.Table)
	}
	for _, i := range p.AddColumns {
		if i < 0 || i >= len(p.Columns) {
			return fmt.Errorf("added column %d out of range", i)
		}
	}
	return nil
}

// shortName is a bookkeeping table name: a prefix and a hash of the run and the table, so a
// retry of the same run finds (and drops) what a crash left behind.
func shortName(prefix string, p *Plan) string {
	h := sha256.Sum256([]byte(p.RunID + "\x00" + p.Schema + "\x00" + p.Table))
	return prefix + hex.EncodeToString(h[:6])
}

func isKey(p *Plan, name string) bool {
	return slices.Contains(p.Keys, name) || slices.Contains(p.PrimaryKey, name)
}

func names(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// list quotes names and joins them, each with an optional alias prefix.
func list(d Dialect, alias string, ns []string) string {
	q := make([]string, len(ns))
	for i, n := range ns {
		if alias != "" {
			q[i] = alias + "." + d.Quote(n)
		} else {
			q[i] = d.Quote(n)
		}
	}
	return strings.Join(q, ", ")
}

// keyJoin is "a.k1 = b.k1 AND a.k2 = b.k2".
func keyJoin(d Dialect, keys []string, a, b string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = a + "." + d.Quote(k) + " = " + b + "." + d.Quote(k)
	}
	return strings.Join(parts, " AND ")
}

// nonKeys are the data columns that are not merge keys.
func nonKeys(p *Plan) []string {
	var out []string
	for _, c := range p.Columns {
		if !slices.Contains(p.Keys, c.Name) {
			out = append(out, c.Name)
		}
	}
	return out
}

// columnDefs is "name type[ NOT NULL], …" of the data columns.
func columnDefs(d Dialect, p *Plan, notNullKeys bool) []string {
	out := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		key := isKey(p, c.Name)
		out[i] = d.Quote(c.Name) + " " + d.ColumnType(c.Type, key)
		if key && notNullKeys {
			out[i] += " NOT NULL"
		}
	}
	return out
}

// sqlString is a standard SQL string literal: quotes doubled.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// validateCommon refuses what no system accepts: an empty name, NUL, invalid UTF-8, and a name
// longer than maxLen (bytes when bytes is set, else characters).
func validateCommon(system, kind, name string, maxLen int, bytes bool) error {
	if name == "" {
		return fmt.Errorf("%w: empty %s name in %s", ErrName, kind, system)
	}
	if strings.ContainsRune(name, 0) {
		return fmt.Errorf("%w: %s name %q holds a NUL character, which %s does not allow", ErrName, kind, name, system)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: %s name %q is not valid UTF-8", ErrName, kind, name)
	}
	n, unit := len([]rune(name)), "characters"
	if bytes {
		n, unit = len(name), "bytes"
	}
	if maxLen > 0 && n > maxLen {
		return fmt.Errorf("%w: %s name %q is %d %s long; %s allows %d", ErrName, kind, name, n, unit, system, maxLen)
	}
	return nil
}

// decimalPS fits decimal(p,s) into a system's limits: an unconstrained decimal takes the
// default, a wider one is capped (the scale first kept, then capped).
func decimalPS(t load.Type, maxP, maxS, defP, defS int) (p, s int) {
	if t.Precision <= 0 {
		return defP, defS
	}
	p, s = min(t.Precision, maxP), min(t.Scale, maxS)
	if s > p {
		s = p
	}
	return p, s
}

// dedup selects the staged rows with the last row of each key (the largest _dnk_seq).
func dedup(d Dialect, p *Plan, stage string, cols []string) string {
	return "SELECT " + list(d, "", cols) + " FROM (SELECT " + list(d, "", cols) + ", ROW_NUMBER() OVER (PARTITION BY " +
		list(d, "", p.Keys) + " ORDER BY " + d.Quote(seq) + " DESC) AS " + d.Quote(rowNum) + " FROM " + stage +
		") AS s0 WHERE s0." + d.Quote(rowNum) + " = 1"
}

func stmt(sql string, args ...Arg) Statement { return Statement{SQL: sql, Args: args} }

func stateArgs(st *load.StateEntry) []Arg {
	return []Arg{{"pipeline", st.Pipeline}, {"table_name", st.Table}, {"cursor_value", st.Value}}
}

// stageColumns are the columns the bulk load writes: the data, then the ordinal for merge.
func stageColumns(p *Plan) []string {
	cols := names(p.Columns)
	if p.Disposition == load.Merge {
		cols = append(cols, seq)
	}
	return cols
}

// paramStyle is how a dialect writes bind parameters.
type paramStyle int

const (
	paramNamed  paramStyle = iota // @name, bound by name (SQL Server, BigQuery)
	paramDollar                   // $1, bound by position, reusable (Redshift)
	paramQmark                    // ?, bound in order of appearance (Snowflake, ClickHouse)
)

// binder collects the parameters of one statement.
type binder struct {
	style paramStyle
	args  []Arg
}

func (b *binder) p(name string, v any) string {
	switch b.style {
	case paramNamed:
		if !slices.ContainsFunc(b.args, func(a Arg) bool { return a.Name == name }) {
			b.args = append(b.args, Arg{name, v})
		}
		return "@" + name
	case paramDollar:
		if i := slices.IndexFunc(b.args, func(a Arg) bool { return a.Name == name }); i >= 0 {
			return fmt.Sprintf("$%d", i+1)
		}
		b.args = append(b.args, Arg{name, v})
		return fmt.Sprintf("$%d", len(b.args))
	default:
		b.args = append(b.args, Arg{name, v})
		return "?"
	}
}

func (b *binder) stmt(sql string) Statement { return Statement{SQL: sql, Args: b.args} }

// Render prints the script as commented SQL, sections in the order a driver runs them, with
// parameters in comments and secrets masked: for golden files, logs and dry runs.
func (s *Script) Render() string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s (transactional: %t)\n", s.Dialect, s.Transactional)
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "-- note: %s\n", n)
	}
	section := func(name string, sts []Statement) {
		var nonEmpty []Statement
		for _, st := range sts {
			if st.SQL != "" {
				nonEmpty = append(nonEmpty, st)
			}
		}
		if len(nonEmpty) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n-- %s\n", name)
		for _, st := range nonEmpty {
			if len(st.Args) > 0 {
				parts := make([]string, len(st.Args))
				for i, a := range st.Args {
					v := "<per row>"
					if a.Value != nil {
						v = fmt.Sprintf("%q", fmt.Sprint(a.Value))
					}
					parts[i] = a.Name + "=" + v
				}
				fmt.Fprintf(&b, "-- args: %s\n", strings.Join(parts, ", "))
			}
			b.WriteString(strings.TrimSuffix(st.Printable(), ";"))
			b.WriteString(";\n")
		}
	}
	section("session", s.Session)
	section("prepare", s.Prepare)
	fmt.Fprintf(&b, "\n-- stage: bulk load into %s (%s)\n", s.Stage, strings.Join(s.StageColumns, ", "))
	section("stage insert (batched by the driver)", []Statement{s.StageInsert})
	section("load", s.Load)
	section("finish", s.Finish)
	section("begin", s.Begin)
	section("guard: a count > 0 means this run already published; skip data", []Statement{s.Guard})
	section("data", s.Data)
	section("rejected: one per rejected row (BigQuery: one for all)", []Statement{s.RejectedInsert})
	section("state", s.State)
	section("commit", s.Commit)
	section("after", s.After)
	section("cleanup (on success and on abort)", s.Cleanup)
	return b.String()
}
