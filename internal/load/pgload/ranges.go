package pgload

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/datanika/datanika/internal/load"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

var _ load.RangeSource = (*postgresSource)(nil)

// EstimateRows sums pg_class.reltuples over the table (and its partitions); -1 when the table
// was never analyzed.
func (s *postgresSource) EstimateRows(ctx context.Context, t *load.Table) (int64, error) {
	var n int64
	err := s.tx.QueryRow(ctx, `SELECT COALESCE(sum(c.reltuples) FILTER (WHERE c.reltuples >= 0), -1)::bigint
FROM pg_class c WHERE c.oid = to_regclass($1) OR c.oid IN (SELECT relid FROM pg_partition_tree(to_regclass($1)))`,
		pgx.Identifier{t.Schema, t.Name}.Sanitize()).Scan(&n)
	return n, err
}

func (s *postgresSource) KeyBounds(ctx context.Context, t *load.Table, w load.Window, column string) (lo, hi int64, ok bool, err error) {
	where, args, err := s.where(t, w)
	if err != nil {
		return 0, 0, false, err
	}
	var a, b pgtype.Int8
	c := pgIdent(column)
	if err := s.tx.QueryRow(ctx, "SELECT min("+c+")::int8, max("+c+")::int8 FROM "+pgx.Identifier{t.Schema, t.Name}.Sanitize()+where,
		args...).Scan(&a, &b); err != nil {
		return 0, 0, false, err
	}
	return a.Int64, b.Int64, a.Valid && b.Valid, nil
}

// RangeReaders opens n-1 connections whose REPEATABLE READ transactions import the snapshot of
// the source's own: every range reads the same state of the database, the one the verify
// count is taken in.
func (s *postgresSource) RangeReaders(ctx context.Context, n int) ([]load.Source, func(), error) {
	var snapshot string
	if err := s.tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
		return nil, nil, fmt.Errorf("export the snapshot: %w", err)
	}
	readers := []load.Source{s}
	closeAll := func() {
		for _, r := range readers[1:] {
			_ = r.Close()
		}
	}
	for range n - 1 {
		conn, err := pgx.ConnectConfig(ctx, s.cc)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("connect to source postgres %s: %w", s.cc.Host, err)
		}
		tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err == nil {
			_, err = tx.Exec(ctx, "SET TRANSACTION SNAPSHOT "+pgLiteral(snapshot))
		}
		if err != nil {
			_ = conn.Close(context.WithoutCancel(ctx))
			closeAll()
			return nil, nil, fmt.Errorf("import the snapshot: %w", err)
		}
		readers = append(readers, &postgresSource{conn: conn, tx: tx, defaultSchema: s.defaultSchema, cc: s.cc})
	}
	return readers, closeAll, nil
}

// passthrough is copyPassthrough, in parallel key ranges when the table qualifies: N source
// connections in one snapshot, N destination connections COPYing into one staging table. It
// returns the table load to publish (or abort), which is dst unless the staging moved.
//
// Replace already stages into a regular table (the new table, invisible under its staging
// name until the publishing transaction renames it). Append and merge stage into a temporary
// table, which only its own session sees; for a parallel copy it is replaced by an UNLOGGED
// table of the same shape in the destination schema, named per run and table
// (_dnk_pstage_<hash>), dropped after publishing or on failure. A crash can leave one
// behind: the run's session holds an advisory lock on it, which dies with the session, and the
// next parallel load into the schema drops every such table whose lock is free. Unlogged is
// enough: a staging table's rows are only needed until the publishing transaction copies them.
func passthrough(ctx context.Context, spec *load.Spec, src *postgresSource, dst *pgTableLoad, w load.Window,
	progress func(rows int64)) (rows, bytes int64, tl load.TableLoad, err error) {
	rs, kr, err := load.PlanRanges(ctx, spec, src, dst.plan, w)
	if err != nil {
		return 0, 0, dst, err
	}
	if kr == nil {
		rows, bytes, err = copyPassthrough(ctx, src, dst, w, progress)
		return rows, bytes, dst, err
	}
	tl = dst
	if err := dst.shareStage(ctx); err != nil { // replace: commit the new table so every connection sees it
		return 0, 0, dst, fmt.Errorf("shared staging: %w", err)
	}
	if dst.plan.Disposition != load.Replace {
		shared, err := dst.shareStaging(ctx)
		if err != nil {
			return 0, 0, dst, fmt.Errorf("shared staging: %w", err)
		}
		tl = shared
	}
	n := kr.N()
	readers, closeReaders, err := rs.RangeReaders(ctx, n)
	if err != nil {
		return 0, 0, tl, fmt.Errorf("open the parallel readers: %w", err)
	}
	defer closeReaders()
	conns := []*pgx.Conn{dst.d.conn}
	defer func() {
		for _, c := range conns[1:] {
			_ = c.Close(context.WithoutCancel(ctx))
		}
	}()
	for range n - 1 {
		c, err := pgx.ConnectConfig(ctx, dst.d.cc)
		if err != nil {
			return 0, 0, tl, fmt.Errorf("connect to destination postgres %s: %w", dst.d.cc.Host, err)
		}
		conns = append(conns, c)
	}
	spec.Logger.Debug("parallel copy", "run_id", spec.RunID, "table", dst.plan.Source.QualifiedName(), "ranges", n,
		"key", kr.Column, "bounds", kr.Bounds, "staging", dst.stageIdent)
	var total, totalBytes atomic.Int64
	var mu sync.Mutex // progress is called by one range at a time
	err = load.RunRanges(ctx, n, func(ctx context.Context, i int) error {
		var last int64
		into := func(ctx context.Context, r io.Reader) (int64, error) { return dst.copyBinaryOn(ctx, conns[i], r) }
		r, b, err := copyStream(ctx, readers[i].(*postgresSource), dst, kr.Window(w, i), into, func(n int64) {
			sum := total.Add(n - last)
			last = n
			mu.Lock()
			defer mu.Unlock()
			progress(sum)
		})
		total.Add(r - last)
		totalBytes.Add(b)
		return err
	})
	if err != nil {
		return 0, totalBytes.Load(), tl, err
	}
	return total.Load(), totalBytes.Load(), tl, nil
}

// sharedStagePrefix names the unlogged staging tables of parallel copies.
const sharedStagePrefix = "_dnk_pstage_"

// sharedStageLockSQL takes the session's advisory lock on a staging table (by qualified name).
const sharedStageLockSQL = "SELECT pg_try_advisory_lock(hashtext('datanika.stage'), hashtext($1))"

// sharedStage is an append or merge load whose staging is an unlogged table every destination
// connection can write; the publishing transaction is the table load's own.
type sharedStage struct {
	*pgTableLoad
	ident string
}

// shareStaging moves the staging of an append or merge from its temporary table to an
// unlogged table of the same columns (merge's sequence included).
func (l *pgTableLoad) shareStaging(ctx context.Context) (*sharedStage, error) {
	d := l.d
	if err := d.sweepSharedStaging(ctx); err != nil {
		return nil, err
	}
	name := load.ShortName(sharedStagePrefix, l.plan.RunID, l.plan.Name)
	ident := d.qualified(name)
	if err := createIfMissing(ctx, d.conn, "CREATE SCHEMA IF NOT EXISTS "+pgIdent(d.schema)); err != nil {
		return nil, fmt.Errorf("create schema %q: %w", d.schema, err)
	}
	var locked bool
	if err := d.conn.QueryRow(ctx, sharedStageLockSQL, ident).Scan(&locked); err != nil {
		return nil, err
	}
	if !locked {
		return nil, fmt.Errorf("staging %s is in use by another load of the same run", ident)
	}
	s := &sharedStage{pgTableLoad: l, ident: ident}
	if _, err := d.conn.Exec(ctx, "DROP TABLE IF EXISTS "+ident); err != nil {
		s.drop()
		return nil, err
	}
	if _, err := d.conn.Exec(ctx, "CREATE UNLOGGED TABLE "+ident+" (LIKE pg_temp."+l.stageIdent+" INCLUDING ALL)"); err != nil {
		s.drop()
		return nil, err
	}
	_, _ = d.conn.Exec(ctx, "DROP TABLE IF EXISTS pg_temp."+l.stageIdent)
	l.stageIdent = ident // Publish reads staging through stageIdent
	return s, nil
}

// sweepSharedStaging drops the unlogged staging tables of the schema that no live session
// holds: leftovers of crashed runs.
func (d *postgresDestination) sweepSharedStaging(ctx context.Context) error {
	return d.sweepLeftovers(ctx, sharedStagePrefix, "u")
}

// newTablePrefix names replace's new tables. One is only committed (visible to other sessions)
// by a parallel copy, under its session's advisory lock (shareStage).
const newTablePrefix = "_dnk_new_"

// sweepNewTables drops the committed new tables of the schema that no live session holds:
// leftovers of parallel replaces that were killed before publishing.
func (d *postgresDestination) sweepNewTables(ctx context.Context) error {
	return d.sweepLeftovers(ctx, newTablePrefix, "p")
}

// sweepLeftovers drops the tables of the schema named with prefix, of the given persistence
// (pg_class.relpersistence), whose advisory lock is free.
func (d *postgresDestination) sweepLeftovers(ctx context.Context, prefix, persistence string) error {
	rows, err := d.conn.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relpersistence = $3 AND starts_with(c.relname, $2)`, d.schema, prefix, persistence)
	if err != nil {
		return fmt.Errorf("find leftover staging: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("find leftover staging: %w", err)
	}
	for _, name := range names {
		ident := d.qualified(name)
		var free bool
		if err := d.conn.QueryRow(ctx, sharedStageLockSQL, ident).Scan(&free); err != nil {
			return err
		}
		if !free {
			continue // a load in progress
		}
		_, err := d.conn.Exec(ctx, "DROP TABLE IF EXISTS "+ident)
		_, _ = d.conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtext('datanika.stage'), hashtext($1))", ident)
		if err != nil {
			return fmt.Errorf("drop leftover staging %s: %w", ident, err)
		}
	}
	return nil
}

func (s *sharedStage) Publish(ctx context.Context, p load.Publication) (load.Published, error) {
	out, err := s.pgTableLoad.Publish(ctx, p)
	s.drop()
	return out, err
}

func (s *sharedStage) Abort() { s.drop() }

// drop drops the unlogged staging and releases its lock, over a new connection when a
// cancelled COPY closed the destination's (the lock went with that session).
func (s *sharedStage) drop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := s.d
	if _, err := d.conn.Exec(ctx, "DROP TABLE IF EXISTS "+s.ident); err == nil {
		_, _ = d.conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtext('datanika.stage'), hashtext($1))", s.ident)
		return
	}
	conn, err := pgx.ConnectConfig(ctx, d.cc)
	if err != nil {
		return
	}
	defer func() { _ = conn.Close(ctx) }()
	_, _ = conn.Exec(ctx, "DROP TABLE IF EXISTS "+s.ident)
}

// copyBinaryOn is copyBinary over another connection, into replace's new table (a regular
// table, which every session sees).
func (l *pgTableLoad) copyBinaryOn(ctx context.Context, conn *pgx.Conn, r io.Reader) (int64, error) {
	tag, err := conn.PgConn().CopyFrom(ctx, r, "COPY "+l.stageIdent+" ("+identList(l.copyColumns())+") FROM STDIN (FORMAT binary)")
	if err != nil {
		return 0, fmt.Errorf("copy into %q: %w", l.plan.Name, err)
	}
	return tag.RowsAffected(), nil
}
