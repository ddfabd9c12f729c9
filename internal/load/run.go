package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/datanika/datanika/internal/connectors"
)

// Endpoint is a source or a destination: a connection type and its config, as stored for a
// connection, and what the host lends to connectors (the egress Dialer, the file resolver).
type Endpoint struct {
	Type   string
	Config map[string]any
	Env    connectors.Env
}

// Spec is one run of one pipeline.
type Spec struct {
	// Pipeline names the pipeline; incremental state is kept under it.
	Pipeline string
	// RunID tags the rows a run publishes; a retry with the same id never appends twice.
	// Empty: a random id.
	RunID string
	// Attempt names this run in the destination's ledger (see PublishedTables); empty: RunID.
	Attempt           string
	Source            Endpoint
	Destination       Endpoint
	DestinationSchema string
	Config            Config
	// FullRefresh reloads every table whole (replacing it) and resets incremental state.
	FullRefresh bool
	Logger      *slog.Logger
	// Parallelism is how many connections read a big table with a single integer primary key,
	// in key ranges (ranges.go): 0 is min(4, GOMAXPROCS/2), 1 or less than 0 reads serially.
	Parallelism int
	// ParallelMinRows is the estimated row count from which a table is read in parallel;
	// 0 is DefaultParallelMinRows.
	ParallelMinRows int64
	// WithoutDestinationRecord switches the destination's record off — its <schema>._dnk_state
	// and <schema>._dnk_loads — so that incremental state lives only in the StateStore, whose
	// failure fails the run, as before the record existed. Only the fault-injection suite sets
	// it, to show that its checks find the duplicates and false failures the record prevents;
	// the program never does.
	WithoutDestinationRecord bool
}

// testHooks let tests come between the source and the destination — lose a row, change a
// value — to show that verify catches what it must (verify_test.go). Nil in the program.
var testHooks struct {
	source      func(Source) Source
	destination func(Destination) Destination
}

// StateStore keeps a copy of the incremental state outside the destination (the platform's
// database), for display. The destination's <schema>._dnk_state, written in the transaction
// that publishes a table, is what runs read; Get is asked only when the destination holds no
// state for a table (cursors saved before destinations kept them). Put is called only after
// the destination committed the table's rows, and its failure does not fail the run.
type StateStore interface {
	Get(ctx context.Context, pipeline, table string) (value string, ok bool, err error)
	Put(ctx context.Context, pipeline, table, value string) error
}

// Progress is reported when a table starts (RowsRead 0), after every batch and at the end of
// each table.
type Progress struct {
	Table    string
	RowsRead int64
	Done     bool
}

// Result is what a run did, in the shape of `datanika load --output json`.
type Result struct {
	Status     string       `json:"status"`
	RowsLoaded int64        `json:"rows_loaded"`
	Seconds    float64      `json:"seconds"`
	Tables     []TableStats `json:"tables"`
}

// TableStats are one table's figures.
type TableStats struct {
	Name         string  `json:"name"`
	RowsRead     int64   `json:"rows_read"`
	RowsWritten  int64   `json:"rows_written"`
	RowsRejected int64   `json:"rows_rejected"`
	Bytes        int64   `json:"bytes"`
	Seconds      float64 `json:"seconds"`
}

// Run status values.
const (
	StatusSuccess = "success"
	StatusFailed  = "failed"
)

// batchesInFlight bounds memory: the reader fills one batch while the writer copies another,
// with one spare, whatever the table's size.
const batchesInFlight = 3

// Run loads the pipeline's tables from the source into the destination. Each table is
// published in one destination transaction with its incremental state (the destination's
// <schema>._dnk_state; state, when not nil, gets a copy afterwards); a failure or a cancelled ctx
// leaves the table being loaded as it was. Tables published before a failure stay published.
func Run(ctx context.Context, spec Spec, state StateStore, progress func(Progress)) (Result, error) {
	start := time.Now()
	res := Result{Status: StatusFailed, Tables: []TableStats{}}
	if spec.Logger == nil {
		spec.Logger = slog.New(slog.DiscardHandler)
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	if spec.RunID == "" {
		spec.RunID = newRunID()
	}
	cfg := spec.Config
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Naming == "" {
		cfg.Naming = NamingSnakeCase
	}
	if cfg.WriteDisposition == "" {
		cfg.WriteDisposition = Append
	}
	if spec.DestinationSchema == "" {
		return res, errors.New("the destination schema is required")
	}
	src, err := openSourceFor(ctx, spec.Source, cfg)
	if err != nil {
		return res, err
	}
	defer func() { _ = src.Close() }()
	if err := prepareSource(ctx, spec, cfg, src, state); err != nil {
		return res, err
	}

	schema, names := cfg.SourceSchema, cfg.TableNames
	if cfg.Mode == ModeSingleTable {
		names = []string{cfg.Table}
		if s, t, ok := strings.Cut(cfg.Table, "."); ok && spec.Source.Type != "sqlite" {
			schema, names = s, []string{t}
		}
	}
	tables, err := src.Tables(ctx, schema, names)
	if err != nil {
		if errors.Is(err, ErrNoTable) {
			return res, err
		}
		return res, fmt.Errorf("list source tables: %w", err)
	}
	if len(tables) == 0 && emptyAllowed(src) { // an S3 prefix with nothing in it, allowed by config.files.allow_empty
		res.Status, res.Seconds = StatusSuccess, time.Since(start).Seconds()
		return res, nil
	}
	if len(tables) == 0 && !mayBeEmpty(src) {
		return res, fmt.Errorf("the source has no tables in schema %q", schema)
	}
	plans := make([]*TablePlan, len(tables))
	for i, t := range tables {
		if plans[i], err = plan(spec, cfg, t); err != nil {
			return res, err
		}
	}

	dst, err := OpenDestination(ctx, spec.Destination, spec.DestinationSchema)
	if err != nil {
		return res, err
	}
	defer func() { _ = dst.Close() }()
	if testHooks.source != nil {
		src = testHooks.source(src)
	}
	if testHooks.destination != nil {
		dst = testHooks.destination(dst)
	}

	for _, p := range plans {
		ts, err := newTableRun(spec, cfg, src, dst, state, p, progress).load(ctx)
		for retypes := 0; retypes < maxRetypes && retype(err); retypes++ {
			// A file's value broke its column's inferred type under evolve: the source
			// widened the column, nothing was published; load the table again.
			spec.Logger.Info("reading the table again with a wider column", "table", p.Source.QualifiedName(), "reason", err.Error())
			if p, err = plan(spec, cfg, p.Source); err == nil {
				ts, err = newTableRun(spec, cfg, src, dst, state, p, progress).load(ctx)
			}
		}
		res.Tables = append(res.Tables, ts)
		res.RowsLoaded += ts.RowsWritten
		if err != nil {
			res.Seconds = time.Since(start).Seconds()
			return res, err
		}
	}
	res.Status = StatusSuccess
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

func newRunID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// plan maps a source table to the destination: names, keys, disposition.
func plan(spec Spec, cfg Config, t *Table) (*TablePlan, error) {
	p := &TablePlan{Source: t, Name: t.destName(cfg.Naming, t.Name), RunID: spec.RunID, Contract: cfg.SchemaContract,
		Disposition: cfg.WriteDisposition}
	seen := map[string]string{}
	for _, c := range t.Columns {
		n := t.destName(cfg.Naming, c.Name)
		if c.Type.Source == fileColumnSource {
			n = c.Name // config.files.file_column, as the pipeline spells it
		}
		if n == LoadedAtColumn || n == RunIDColumn || n == StageSeqColumn {
			return nil, fmt.Errorf("column %q of %s is named like a column the loader adds", c.Name, t.QualifiedName())
		}
		if other, dup := seen[n]; dup {
			return nil, fmt.Errorf("columns %q and %q of %s both become %q in the destination (set config.naming to preserve)",
				other, c.Name, t.QualifiedName(), n)
		}
		seen[n] = c.Name
		p.Columns = append(p.Columns, n)
	}
	mapKeys := func(keys []string, field string) ([]string, error) {
		out := make([]string, len(keys))
		for i, k := range keys {
			idx, _ := t.Column(k)
			if idx < 0 {
				return nil, fmt.Errorf("%s: column %q is not a column of %s", field, k, t.QualifiedName())
			}
			out[i] = p.Columns[idx]
		}
		return out, nil
	}
	var err error
	if p.PrimaryKey, err = mapKeys(t.PrimaryKey, "primary key"); err != nil {
		return nil, err
	}
	if cfg.WriteDisposition == Merge {
		keys := cfg.KeysFor(t.Name)
		if keys == nil && cfg.Mode == ModeFullDatabase {
			keys = cfg.KeysFor(t.QualifiedName())
		}
		if keys == nil && t.keysFromSource {
			keys = t.PrimaryKey
		}
		if keys == nil {
			p.Disposition = Append // full_database: tables not in merge_config append
		} else if p.Keys, err = mapKeys(keys, "config.primary_key"); err != nil {
			return nil, err
		}
		// An API's key is not enforced by the source: pages read while data changes repeat records.
		p.KeysUnique = !t.keysFromSource && len(p.PrimaryKey) > 0 && !slices.ContainsFunc(p.PrimaryKey, func(k string) bool { return !slices.Contains(p.Keys, k) })
		if p.Disposition == Merge && len(p.PrimaryKey) == 0 {
			p.PrimaryKey = p.Keys
		}
	}
	if cfg.Incremental != nil {
		if idx, _ := t.Column(cfg.Incremental.CursorPath); idx < 0 {
			return nil, fmt.Errorf("config.incremental.cursor_path: column %q is not a column of %s",
				cfg.Incremental.CursorPath, t.QualifiedName())
		}
	}
	if spec.FullRefresh {
		p.Disposition = Replace
	}
	return p, nil
}

func stateKey(t *Table) string { return t.QualifiedName() }

// window works out what to read: filters, and the incremental bound from the state.
func window(ctx context.Context, spec Spec, cfg Config, dst Destination, state StateStore, p *TablePlan) (Window, *Column, error) {
	w := Window{Filters: cfg.Filters}
	inc := cfg.Incremental
	if inc == nil {
		return w, nil, nil
	}
	_, col := p.Source.Column(inc.CursorPath)
	w.Cursor, w.Desc = col.Name, inc.RowOrder == "desc"
	if _, err := cursorValue(col.Type.Kind, "0"); err != nil && col.Type.Kind != KindDate &&
		col.Type.Kind != KindTimestamp && col.Type.Kind != KindTimestampTZ {
		return w, nil, fmt.Errorf("config.incremental.cursor_path: %w", err)
	}
	var stored string
	var ok bool
	var err error
	if !spec.FullRefresh {
		// The destination is the source of truth: its state was written in the transaction
		// that published the rows, so no outage between that commit and any other write can
		// make a run read committed rows again. The StateStore is a copy for display, read
		// only for cursors saved before destinations kept them.
		if !spec.WithoutDestinationRecord {
			stored, ok, err = dst.State(ctx, spec.Pipeline, stateKey(p.Source))
		}
		if err == nil && !ok && state != nil {
			stored, ok, err = state.Get(ctx, spec.Pipeline, stateKey(p.Source))
		}
		if err != nil {
			return w, nil, fmt.Errorf("read the incremental state of %s: %w", p.Source.QualifiedName(), err)
		}
	}
	switch {
	case ok:
		v, err := cursorValue(col.Type.Kind, stored)
		if err != nil {
			return w, nil, fmt.Errorf("the stored state of %s: %w", p.Source.QualifiedName(), err)
		}
		w.From = v
		if inc.Lag != "" {
			l, _ := parseLag(inc.Lag)
			if w.From, err = applyLag(v, l); err != nil {
				return w, nil, fmt.Errorf("config.incremental.lag: %w", err)
			}
			w.Inclusive = true
		}
	case inc.InitialValue != "":
		v, err := cursorValue(col.Type.Kind, inc.InitialValue)
		if err != nil {
			return w, nil, fmt.Errorf("config.incremental.initial_value: %w", err)
		}
		w.From, w.Inclusive = v, true
	}
	return w, col, nil
}

// OpenSource opens a source of a supported type: those of this package, and those registered
// with RegisterSource (PostgreSQL: package pgload; MySQL/MariaDB: package myload).
func OpenSource(ctx context.Context, e Endpoint) (Source, error) {
	switch e.Type {
	case "sqlite":
		return OpenSQLiteSource(ctx, e.Config, e.Env)
	case "mssql":
		return OpenMSSQLSource(ctx, e.Config, e.Env)
	case "rest_api":
		return OpenRESTSource(ctx, e.Config, e.Env)
	case "file", "s3":
		return openSourceFor(ctx, e, Config{})
	default:
		return openRegisteredSource(ctx, e)
	}
}

// OpenDestination opens a destination of a supported type, loading into schema: those
// registered with RegisterDestination (PostgreSQL: package pgload; MySQL/MariaDB: package
// myload; the others: sqlgen and bqload).
func OpenDestination(ctx context.Context, e Endpoint, schema string) (Destination, error) {
	return openRegistered(ctx, e, schema)
}

// ErrNoLedger is returned by PublishedTables for destinations that keep no ledger.
var ErrNoLedger = errors.New("this destination keeps no record of what runs published")

// PublishedTables asks a destination what the run attempt (Spec.Attempt, or its RunID)
// published into schema, table by table (rows written), from the ledger each publishing
// transaction writes (<schema>._dnk_loads). It
// is how a run found without an ending is settled: a table is in the answer exactly when its
// publication committed. PostgreSQL and MySQL/MariaDB destinations keep the ledger; others
// answer ErrNoLedger.
func PublishedTables(ctx context.Context, e Endpoint, schema, attempt string) (map[string]int64, error) {
	dst, err := OpenDestination(ctx, e, schema)
	if err != nil {
		return nil, err
	}
	defer func() { _ = dst.Close() }()
	l, ok := dst.(ledgerReader)
	if !ok {
		return nil, ErrNoLedger
	}
	return l.Published(ctx, attempt)
}
