package transform

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/datanika/datanika/internal/transform/dialect"
	"github.com/datanika/datanika/internal/transform/project"
)

// txRunner runs fn in a transaction when wantTx, else straight on the connection.
type txRunner func(ctx context.Context, wantTx bool, fn func(q querier) error) error

func connRunner(conn *sql.Conn) txRunner {
	return func(ctx context.Context, wantTx bool, fn func(q querier) error) error {
		if !wantTx {
			return fn(conn)
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		if err := fn(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	}
}

// runPlan runs a plan's statements and returns the rows the last one affected.
func runPlan(ctx context.Context, tx txRunner, wantTx bool, stmts []string) (int64, error) {
	var rows int64
	err := tx(ctx, wantTx, func(q querier) error {
		for _, s := range stmts {
			res, err := q.ExecContext(ctx, s)
			if err != nil {
				return &SQLError{Err: err, SQL: s}
			}
			if n, err := res.RowsAffected(); err == nil {
				rows = n
			}
		}
		return nil
	})
	return rows, err
}

// SQLError is a database error with the statement that caused it.
type SQLError struct {
	Err error
	SQL string
}

func (e *SQLError) Error() string { return e.Err.Error() + "\n-- in:\n" + e.SQL }
func (e *SQLError) Unwrap() error { return e.Err }

// runModel materializes a model; it returns rows affected and a short message.
func (e *Engine) runModel(ctx context.Context, conn *sql.Conn, n *node, compiled string) (int64, string, error) {
	cat := dbCatalog{q: conn, d: e.d}
	tx := connRunner(conn)
	name := n.alias()
	d := e.d
	existing := func() (dialect.Existing, error) {
		var ex dialect.Existing
		var err error
		if ex.Target, err = cat.Kind(ctx, n.schema, name); err != nil {
			return ex, err
		}
		if ex.Temp, err = cat.Kind(ctx, n.schema, name+dialect.TempSuffix); err != nil {
			return ex, err
		}
		ex.Backup, err = cat.Kind(ctx, n.schema, name+dialect.BackupSuffix)
		return ex, err
	}
	mat := n.config.Materialized()
	switch mat {
	case "view", "table":
		ex, err := existing()
		if err != nil {
			return 0, "", err
		}
		plan := d.Replace(mat, n.schema, name, compiled, ex)
		rows, err := runPlan(ctx, tx, plan.InTx, plan.Statements)
		if mat == "view" {
			rows = 0
		}
		return rows, "created " + mat, err
	case "incremental":
		ex, err := existing()
		if err != nil {
			return 0, "", err
		}
		if ex.Target != dialect.Table || e.fullRefresh(n) {
			plan := d.Replace(dialect.Table, n.schema, name, compiled, ex)
			rows, err := runPlan(ctx, tx, plan.InTx, plan.Statements)
			return rows, "created table (full build)", err
		}
		return e.runIncremental(ctx, cat, tx, n, compiled, ex)
	case "snapshot":
		return e.runSnapshot(ctx, cat, tx, n, compiled)
	}
	return 0, "", fmt.Errorf("materialization %q is not supported (view, table, incremental, ephemeral)", mat)
}

func (e *Engine) runIncremental(ctx context.Context, cat dbCatalog, tx txRunner, n *node, compiled string, ex dialect.Existing) (int64, string, error) {
	d, name := e.d, n.alias()
	staged := name + dialect.TempSuffix
	var pre []string
	if ex.Temp != "" {
		pre = append(pre, d.Drop(ex.Temp, n.schema, staged))
	}
	pre = append(pre, d.CreateAs(dialect.Table, n.schema, staged, compiled)...)
	if _, err := runPlan(ctx, tx, false, pre); err != nil {
		return 0, "", err
	}
	defer func() {
		_, _ = runPlan(context.WithoutCancel(ctx), tx, false, []string{d.Drop(dialect.Table, n.schema, staged)})
	}()
	stagedCols, err := cat.Columns(ctx, n.schema, staged)
	if err != nil {
		return 0, "", err
	}
	targetCols, err := cat.Columns(ctx, n.schema, name)
	if err != nil {
		return 0, "", err
	}
	alter, cols, err := d.SchemaChange(n.config.String("on_schema_change"), n.schema, name, stagedCols, targetCols)
	if err != nil {
		return 0, "", err
	}
	plan, err := d.IncrementalPlan(dialect.Incremental{Schema: n.schema, Name: name, Staged: staged,
		Strategy: n.config.String("incremental_strategy"), UniqueKey: n.config.Strings("unique_key"), Columns: cols})
	if err != nil {
		return 0, "", err
	}
	if len(alter) > 0 {
		if _, err := runPlan(ctx, tx, d.TransactionalDDL, alter); err != nil {
			return 0, "", err
		}
	}
	rows, err := runPlan(ctx, tx, true, plan.Statements)
	return rows, "incremental", err
}

func (e *Engine) runSnapshot(ctx context.Context, cat dbCatalog, tx txRunner, n *node, compiled string) (int64, string, error) {
	d, name := e.d, n.alias()
	if !d.SupportsSnapshots() {
		return 0, "", fmt.Errorf("snapshots are not supported on %s", d.Name)
	}
	key := n.config.String("unique_key")
	if key == "" {
		return 0, "", errors.New("a snapshot needs unique_key")
	}
	s := dialect.Snapshot{Schema: n.schema, Name: name, Query: compiled, UniqueKey: key,
		Strategy: n.config.String("strategy"), UpdatedAt: n.config.String("updated_at"),
		Now:                   d.TimestampLiteral(e.opts.RunStartedAt.UTC().Format("2006-01-02 15:04:05.000000")),
		InvalidateHardDeletes: n.config.Bool("invalidate_hard_deletes", false)}
	switch s.Strategy {
	case dialect.Timestamp:
		if s.UpdatedAt == "" {
			return 0, "", errors.New("the timestamp strategy needs updated_at")
		}
	case dialect.Check:
	default:
		return 0, "", fmt.Errorf("snapshot strategy %q is not timestamp or check", s.Strategy)
	}
	kind, err := cat.Kind(ctx, n.schema, name)
	if err != nil {
		return 0, "", err
	}
	if kind == "" {
		rows, err := runPlan(ctx, tx, d.TransactionalDDL, d.SnapshotCreate(s))
		return rows, "snapshot created", err
	}
	cols, err := cat.Columns(ctx, n.schema, name)
	if err != nil {
		return 0, "", err
	}
	colNames := make([]string, len(cols))
	for i, c := range cols {
		colNames[i] = c.Name
	}
	if s.Strategy == dialect.Check {
		check := n.config.Strings("check_cols")
		if len(check) == 1 && check[0] == "all" || len(check) == 0 {
			check = nil
			for _, c := range colNames {
				if !strings.HasPrefix(c, "dbt_") {
					check = append(check, c)
				}
			}
		}
		s.CheckCols = check
	}
	staging := name + dialect.TempSuffix
	if k, err := cat.Kind(ctx, n.schema, staging); err != nil {
		return 0, "", err
	} else if k != "" {
		if _, err := runPlan(ctx, tx, false, []string{d.Drop(k, n.schema, staging)}); err != nil {
			return 0, "", err
		}
	}
	if _, err := runPlan(ctx, tx, false, d.SnapshotStaging(s, staging)); err != nil {
		return 0, "", err
	}
	defer func() {
		_, _ = runPlan(context.WithoutCancel(ctx), tx, false, []string{d.Drop(dialect.Table, n.schema, staging)})
	}()
	plan := d.SnapshotApply(s, staging, colNames)
	rows, err := runPlan(ctx, tx, true, plan.Statements)
	return rows, "snapshot updated", err
}

// runTest runs a test's query: the failing row count and a few sample rows.
func (e *Engine) runTest(ctx context.Context, conn *sql.Conn, compiled, failCalc string) (int64, []map[string]any, error) {
	var failures int64
	countSQL := e.d.TestCount(compiled)
	if failCalc != "" && !strings.EqualFold(strings.ReplaceAll(failCalc, " ", ""), "count(*)") {
		// The test says how to count its failures (dbt_utils.equal_rowcount sums a diff).
		countSQL = "select " + failCalc + " from (\n" + compiled + "\n) dbt_internal_test"
	}
	var counted sql.NullFloat64
	if err := conn.QueryRowContext(ctx, countSQL).Scan(&counted); err != nil {
		return 0, nil, &SQLError{Err: err, SQL: countSQL}
	}
	failures = int64(counted.Float64)
	if failures == 0 {
		return 0, nil, nil
	}
	sample, err := queryRows(ctx, conn, e.d.Limit(compiled, sampleRows))
	return failures, sample, err
}

const sampleRows = 5

func queryRows(ctx context.Context, q querier, query string) ([]map[string]any, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, &SQLError{Err: err, SQL: query}
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := map[string]any{}
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok {
				m[c] = string(b)
			} else {
				m[c] = vals[i]
			}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// runFreshness checks a source table's newest loaded_at value against its thresholds.
func (e *Engine) runFreshness(ctx context.Context, conn *sql.Conn, n *node) (string, string, error) {
	src := n.Source
	q := e.d.Freshness(src.Schema, src.Identifier, src.LoadedAtField)
	var age sql.NullFloat64
	if err := conn.QueryRowContext(ctx, q).Scan(&age); err != nil {
		return "", "", &SQLError{Err: err, SQL: q}
	}
	if !age.Valid {
		return "error", "the source is empty: no loaded_at value", nil
	}
	msg := fmt.Sprintf("newest row is %.0f seconds old", age.Float64)
	f := src.Freshness
	if f.ErrorAfter != nil && age.Float64 > periodSeconds(f.ErrorAfter) {
		return "error", msg, nil
	}
	if f.WarnAfter != nil && age.Float64 > periodSeconds(f.WarnAfter) {
		return "warn", msg, nil
	}
	return "pass", msg, nil
}

func periodSeconds(p *project.Period) float64 {
	unit := map[string]float64{"minute": 60, "hour": 3600, "day": 86400}[strings.TrimSuffix(p.Period, "s")]
	return float64(p.Count) * unit
}

// runHooks renders and runs a node's pre-hook or post-hook statements (a string or a list),
// with the same context as the node, so {{ this }} is the node's relation.
func (e *Engine) runHooks(ctx context.Context, conn *sql.Conn, n *node, key string) error {
	// Config.Merge keeps every level's hooks, however spelled, under the dashed key, in order.
	for i, hook := range n.config.Strings(key) {
		if strings.TrimSpace(hook) == "" {
			continue
		}
		tpl, err := e.env.ParseIn(n.Package, fmt.Sprintf("%s (%s %d)", n.Path, key, i+1), hook)
		if err != nil {
			return err
		}
		g := e.baseGlobals(n, true)
		e.introspection(ctx, g, dbCatalog{q: conn, d: e.d}, true)
		stmt, err := e.env.Render(ctx, tpl, g)
		if err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return &SQLError{Err: fmt.Errorf("%s: %w", key, err), SQL: stmt}
		}
	}
	return nil
}
