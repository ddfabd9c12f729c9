package pgload

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/datanika/datanika/internal/load"

	"github.com/jackc/pgx/v5"
)

// merge publishes a merge's staged rows into target inside the publishing transaction and
// returns how many rows it merged: one per distinct key staged.
//
// Staged rows that share a merge key are first resolved to the last one read (the highest
// staging sequence). That pass is skipped when the source's own primary key lies within the
// merge keys (TablePlan.KeysUnique): no two rows read can then share a key.
//
// Into an existing table, MERGE (PostgreSQL 15 and later) makes one hash join of staging and
// target: new keys are inserted, rows whose values changed are updated, and rows that arrive
// unchanged are left alone — no new row version, no index entry, no WAL — so their
// _dnk_loaded_at and _dnk_run_id keep naming the run that last changed them. Before 15, an
// UPDATE … FROM then an INSERT … WHERE NOT EXISTS do the same with two joins. The first
// version deleted every staged key and re-inserted every staged row: about six times slower at
// two million rows, nearly all of them unchanged (docs/benchmarks.md, c).
func (l *pgTableLoad) merge(ctx context.Context, tx pgx.Tx, target string, staged int64) (int64, error) {
	plan := l.plan
	// The joins hash a table of the staged size: memory for this transaction only, rather than
	// spilling to disk batch by batch within the default 4 MB.
	if _, err := tx.Exec(ctx, "SET LOCAL work_mem = '256MB'"); err != nil {
		return 0, err
	}
	from := l.stageIdent
	if !plan.KeysUnique {
		dedup := pgIdent(load.ShortName("_dnk_last_", plan.RunID, plan.Name))
		tag, err := tx.Exec(ctx, "CREATE TEMPORARY TABLE "+dedup+" ON COMMIT DROP AS SELECT DISTINCT ON ("+identList(plan.Keys)+") * FROM "+
			from+" ORDER BY "+identList(plan.Keys)+", "+pgIdent(load.StageSeqColumn)+" DESC")
		if err != nil {
			return 0, fmt.Errorf("merge into %q: resolve duplicate keys: %w", plan.Name, err)
		}
		from, staged = dedup, tag.RowsAffected()
	}
	merged := staged
	if l.windowRows > 0 { // a delta merge staged only the rows that differ
		merged = l.windowRows
	}
	cols := l.copyColumns()
	all := identList(cols) + ", " + pgIdent(load.LoadedAtColumn) + ", " + pgIdent(load.RunIDColumn)
	values := "s." + strings.Join(quoteAll(cols), ", s.") + ", now(), $1"
	if !l.Exists {
		if _, err := tx.Exec(ctx, "INSERT INTO "+target+" ("+all+") SELECT "+values+" FROM "+from+" s", plan.RunID); err != nil {
			return 0, fmt.Errorf("merge into %q: %w", plan.Name, err)
		}
		return staged, nil
	}
	// Statistics of the staged rows let the planner hash the right side.
	if _, err := tx.Exec(ctx, "ANALYZE "+from); err != nil {
		return 0, err
	}
	if l.windowRows > 0 && staged*4 <= l.deltaTargetRows {
		// A delta stages a few rows, in key order, of a big target with a unique index on the
		// key: probing the index per staged row beats the planner's choice of hashing them and
		// scanning the whole target (300,000 rows into 2,000,000: 1.15 s against 1.84 s).
		if _, err := tx.Exec(ctx, "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"); err != nil {
			return 0, err
		}
	}
	var set, changed []string
	for i, c := range plan.Columns {
		if !l.Keep[i] || slices.Contains(plan.Keys, c) {
			continue
		}
		q := pgIdent(c)
		set = append(set, q+" = s."+q)
		changed = append(changed, l.distinct(i, q))
	}
	set = append(set, pgIdent(load.LoadedAtColumn)+" = now()", pgIdent(load.RunIDColumn)+" = $1")
	on := keyJoin(plan.Keys, "t", "s")
	if l.d.serverMajor() >= 15 && !pgLegacyMerge {
		stmt := "MERGE INTO " + target + " t USING " + from + " s ON " + on
		if len(changed) > 0 {
			stmt += " WHEN MATCHED AND (" + strings.Join(changed, " OR ") + ") THEN UPDATE SET " + strings.Join(set, ", ")
		}
		stmt += " WHEN NOT MATCHED THEN INSERT (" + all + ") VALUES (" + values + ")"
		if _, err := tx.Exec(ctx, stmt, plan.RunID); err != nil {
			return 0, fmt.Errorf("merge into %q: %w", plan.Name, err)
		}
		return merged, nil
	}
	if len(changed) > 0 {
		if _, err := tx.Exec(ctx, "UPDATE "+target+" t SET "+strings.Join(set, ", ")+" FROM "+from+" s WHERE "+on+
			" AND ("+strings.Join(changed, " OR ")+")", plan.RunID); err != nil {
			return 0, fmt.Errorf("merge into %q: update: %w", plan.Name, err)
		}
	}
	if _, err := tx.Exec(ctx, "INSERT INTO "+target+" ("+all+") SELECT "+values+" FROM "+from+" s WHERE NOT EXISTS (SELECT 1 FROM "+
		target+" t WHERE "+on+")", plan.RunID); err != nil {
		return 0, fmt.Errorf("merge into %q: insert: %w", plan.Name, err)
	}
	return merged, nil
}

// distinct is the test that the staged value of column i (quoted q) differs from the target's.
// Columns of the type staging has compare as values; a target column of another type (made by
// hand, or widened) compares by text, which may see a change where there is none — an update
// too many, never one missed.
func (l *pgTableLoad) distinct(i int, q string) string {
	want := load.PostgresColumnType(l.plan.Source.Columns[i].Type)
	idx := slices.IndexFunc(l.Existing, func(e load.ExistingColumn) bool { return e.Name == l.plan.Columns[i] })
	if idx < 0 || sameType(l.Existing[idx].Type, want) {
		return "t." + q + " IS DISTINCT FROM s." + q
	}
	return "t." + q + "::text IS DISTINCT FROM s." + q + "::text"
}

// pgLegacyMerge makes merge take the path of servers before PostgreSQL 15 (tests only).
var pgLegacyMerge bool

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = pgIdent(n)
	}
	return out
}

// serverMajor is the destination server's major version (server_version reported at connect),
// 0 when it cannot be read.
func (d *postgresDestination) serverMajor() int {
	v := d.conn.PgConn().ParameterStatus("server_version")
	if i := strings.IndexAny(v, ". "); i > 0 {
		v = v[:i]
	}
	n, _ := strconv.Atoi(v)
	return n
}
