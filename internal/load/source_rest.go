package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/restapi"
)

// A REST API source (connection type rest_api) reads each configured resource as a table.
// Columns are inferred from the records, so a run first reads every page of the resources it
// loads (with the incremental cursor from the destination's state) into a spool file per
// resource, one JSON line per record, typing each column as it goes; then the engine plans the
// tables and Read replays the spool. Memory stays bounded by one page and one batch whatever the
// number of records; the spool takes disk space in the temporary directory and is removed when
// the source closes.
//
// Nested objects and arrays are JSON columns, or with the resource's nested "tables" (dlt's
// convention) objects become <field>__<key> columns and arrays child tables <table>__<field>
// whose rows carry _dnk_parent_id (the parent row's _dnk_id) and _dnk_list_idx.

// Columns a REST source adds with nested "tables".
const (
	restIDColumn      = "_dnk_id"
	restParentColumn  = "_dnk_parent_id"
	restListIdxColumn = "_dnk_list_idx"
)

// restMaxBatch bounds the rows of the batches a REST source emits.
const restMaxBatch = 5000

// preparedSource is a source that reads its data before it can list its tables, and needs the
// stored incremental state to do it: Run calls prepare before Tables, and asks cursorOf for the
// state each table publishes.
type preparedSource interface {
	prepare(ctx context.Context, log *slog.Logger, names []string, filters []Filter, stored func(ctx context.Context, key string) (string, bool, error)) error
	// cursorOf is the incremental state (its key and value) table t publishes with its rows;
	// ok false for none.
	cursorOf(t *Table) (key, value string, ok bool)
}

// prepareSource gives a preparedSource the stored state: the destination's record first, the
// StateStore's copy when the destination holds none (as window does), nothing on a full refresh.
func prepareSource(ctx context.Context, spec Spec, cfg Config, src Source, state StateStore) error {
	ps, ok := src.(preparedSource)
	if !ok {
		return nil
	}
	if refused := SourceConfigErrors(spec.Source.Type, cfg); refused != nil {
		return refused
	}
	var dst Destination
	defer func() {
		if dst != nil {
			_ = dst.Close()
		}
	}()
	stored := func(ctx context.Context, key string) (string, bool, error) {
		if spec.FullRefresh {
			return "", false, nil
		}
		if !spec.WithoutDestinationRecord {
			if dst == nil {
				var err error
				if dst, err = OpenDestination(ctx, spec.Destination, spec.DestinationSchema); err != nil {
					return "", false, err
				}
			}
			v, ok, err := dst.State(ctx, spec.Pipeline, key)
			if err != nil || ok {
				return v, ok, err
			}
		}
		if state != nil {
			return state.Get(ctx, spec.Pipeline, key)
		}
		return "", false, nil
	}
	names := cfg.TableNames
	if cfg.Mode == ModeSingleTable {
		names = []string{cfg.Table}
	}
	log := spec.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return ps.prepare(ctx, log, restNames(names), cfg.Filters, stored)
}

// SourceConfigErrors are the fields of a valid config that a source of type typ cannot use,
// nil when there are none: the engine's incremental window has no meaning for a REST API, whose
// resources carry their own cursor.
func SourceConfigErrors(typ string, cfg Config) FieldErrors {
	refused := CheckSourceConfig(typ, cfg)
	if typ != "rest_api" {
		return refused
	}
	if cfg.Incremental != nil {
		refused = append(refused, apperr.FieldError{Field: "config.incremental",
			Message: "is not used with a REST API source: set incremental on the resource in the connection"})
	}
	return refused
}

// restNames drops the catalog's schema from table names ("api.orders" is "orders"), as the
// web app's wizard and Run write them.
func restNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		if s, t, ok := strings.Cut(n, "."); ok && strings.EqualFold(s, restapi.CatalogSchema) {
			n = t
		}
		out[i] = n
	}
	return out
}

// sourceState is the state a preparedSource publishes with table t, nil for none.
func sourceState(spec Spec, src Source, t *Table) *StateEntry {
	ps, ok := src.(preparedSource)
	if !ok {
		return nil
	}
	key, v, ok := ps.cursorOf(t)
	if !ok {
		return nil
	}
	return &StateEntry{Pipeline: spec.Pipeline, Table: key, Value: v}
}

// mayBeEmpty says a source may list no table: a REST API whose resources returned no (new)
// records, which an incremental run meets whenever nothing changed.
func mayBeEmpty(src Source) bool {
	_, ok := src.(preparedSource)
	return ok
}

// restSource reads the resources of one rest_api connection.
type restSource struct {
	conn   *restapi.Connector
	res    []restapi.Resource
	dir    string
	token  string
	spools map[string]*restSpool
	tables []*restTable
	byName map[string]*restTable
	// filters keep the records that pass them all (SPEC §6: applied in the stream).
	filters []Filter
	log     *slog.Logger
	pages   int64 // pages read for the resource being spooled
	listed  []*Table
}

// restSpool is one resource's records as read this run.
type restSpool struct {
	res       *restapi.Resource
	path      string
	records   int64
	selected  bool // loaded (not only read as a parent)
	cursor    string
	hasCursor bool
	flat      *restFlattener
}

// restTable is a table of a resource: the resource itself, or a child table of it.
type restTable struct {
	name  string
	t     *Table
	spool *restSpool
	root  bool
	rows  int64
	kinds map[string]restKind
}

var _ preparedSource = (*restSource)(nil)

// OpenRESTSource opens a rest_api connection as a source. Every request dials through env's
// Dialer (the egress policy).
func OpenRESTSource(_ context.Context, config map[string]any, env connectors.Env) (Source, error) {
	c, err := restapi.New(config, env)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "datanika-rest-")
	if err != nil {
		return nil, fmt.Errorf("rest_api: create the spool directory: %w", err)
	}
	return &restSource{conn: c, res: c.Resources(), dir: dir, token: newRunID(), spools: map[string]*restSpool{},
		byName: map[string]*restTable{}}, nil
}

func (s *restSource) Close() error { return os.RemoveAll(s.dir) }

// resourceFor returns the index of the resource a table name belongs to: the resource itself or
// one of its child tables (<resource>__<field>), matched exactly, then case-insensitively.
func (s *restSource) resourceFor(name string) int {
	for _, fold := range []bool{false, true} {
		for i := range s.res {
			r := s.res[i].Name
			if (!fold && (name == r || strings.HasPrefix(name, r+"__"))) ||
				(fold && (strings.EqualFold(name, r) || (len(name) > len(r)+2 && strings.EqualFold(name[:len(r)+2], r+"__")))) {
				return i
			}
		}
	}
	return -1
}

func (s *restSource) prepare(ctx context.Context, log *slog.Logger, names []string, filters []Filter, stored func(ctx context.Context, key string) (string, bool, error)) error {
	s.filters, s.log = filters, log
	selected := make([]bool, len(s.res))
	if len(names) == 0 {
		for i := range selected {
			selected[i] = true
		}
	}
	for _, n := range names {
		i := s.resourceFor(n)
		if i < 0 {
			return noTable("", n)
		}
		selected[i] = true
	}
	// A selected dependent resource needs its parents read (not loaded).
	needed := slices.Clone(selected)
	for i := len(s.res) - 1; i >= 0; i-- {
		if !needed[i] {
			continue
		}
		if p := s.conn.Parent(s.res[i].Name); p != "" {
			for j := range s.res {
				if s.res[j].Name == p {
					needed[j] = true
				}
			}
		}
	}
	for i := range s.res {
		if !needed[i] {
			continue
		}
		if err := s.spool(ctx, i, selected[i], stored); err != nil {
			return err
		}
	}
	return nil
}

// spool reads resource i into its spool file, typing the columns of its tables when selected.
func (s *restSource) spool(ctx context.Context, i int, selected bool, stored func(ctx context.Context, key string) (string, bool, error)) error {
	r := &s.res[i]
	sp := &restSpool{res: r, path: filepath.Join(s.dir, fmt.Sprintf("%04d.jsonl", i)), selected: selected,
		flat: &restFlattener{root: r.Name, nested: r.Nested, pk: r.PrimaryKey, token: s.token}}
	s.spools[r.Name] = sp
	f, err := os.Create(sp.path)
	if err != nil {
		return fmt.Errorf("rest_api: create the spool of %s: %w", r.Name, err)
	}
	defer func() { _ = f.Close() }()
	w := bufio.NewWriterSize(f, 256<<10)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	read := int64(0)
	seen := make([]bool, len(s.filters)) // a filter's field was in some record
	write := func(rec map[string]any) error {
		read++
		for i, f := range s.filters {
			keep, present := restFilterMatch(rec, f)
			seen[i] = seen[i] || present
			if !keep {
				return nil
			}
		}
		if err := enc.Encode(rec); err != nil {
			return fmt.Errorf("rest_api: spool a record of %s: %w", r.Name, err)
		}
		if selected {
			sp.flat.rows(rec, sp.records, s.observe(sp))
		}
		sp.records++
		return nil
	}

	parent := s.conn.Parent(r.Name)
	if parent == "" {
		var state restapi.State
		from, strict := "", false
		if r.Incremental != nil {
			v, ok, err := stored(ctx, r.Name)
			if err != nil {
				return fmt.Errorf("read the incremental state of %s: %w", r.Name, err)
			}
			if ok {
				state.Cursor, from, strict = v, v, true
			} else if v, ok := r.InitialCursor(); ok {
				from = v
			}
		}
		recs, err := s.conn.Read(ctx, r.Name, state)
		if err != nil {
			return err
		}
		defer func() { _ = recs.Close() }()
		for recs.Next() {
			rec := recs.Record()
			if from != "" {
				// The API may answer records at or before the cursor (a >= filter, or none):
				// keep those after the stored state, and from the initial value on.
				if cur, ok := r.CursorOf(rec); ok {
					if c := restapi.CompareCursor(cur, from); c < 0 || (c == 0 && strict) {
						continue
					}
				}
			}
			if err := write(rec); err != nil {
				return err
			}
		}
		if err := recs.Err(); err != nil {
			return err
		}
		sp.cursor, sp.hasCursor = recs.CursorText()
		if recs.LimitReached() {
			s.log.Warn("resource read up to max_pages; the API has more", "resource", r.Name, "pages", recs.Pages())
		}
		s.pages += int64(recs.Pages())
	} else {
		ps := s.spools[parent]
		err := eachSpooled(ps.path, func(prec map[string]any, _ int64, _ int) error {
			recs, err := s.conn.ReadChild(ctx, r.Name, prec, restapi.State{})
			if err != nil {
				return err
			}
			defer func() { _ = recs.Close() }()
			for recs.Next() {
				rec := recs.Record()
				for _, field := range r.IncludeFromParent {
					v, _ := restapi.Lookup(prec, field)
					rec["_"+parent+"_"+strings.ReplaceAll(field, ".", "__")] = v
				}
				if err := write(rec); err != nil {
					return err
				}
			}
			s.pages += int64(recs.Pages())
			return recs.Err()
		})
		if err != nil {
			return err
		}
	}
	s.log.Info("resource read", "resource", r.Name, "records", read, "kept", sp.records, "pages", s.pages)
	s.pages = 0
	for i, f := range s.filters {
		if read > 0 && !seen[i] {
			return fmt.Errorf("filter column %q is not a field of any record of resource %s", f.Column, r.Name)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("rest_api: write the spool of %s: %w", r.Name, err)
	}
	return f.Close()
}

// observe types the columns of the rows a record of sp flattens into.
func (s *restSource) observe(sp *restSpool) func(table string, row map[string]any) {
	return func(table string, row map[string]any) {
		rt := s.byName[table]
		if rt == nil {
			rt = &restTable{name: table, spool: sp, root: table == sp.res.Name, kinds: map[string]restKind{}}
			s.byName[table] = rt
			s.tables = append(s.tables, rt)
		}
		rt.rows++
		for k, v := range row {
			rt.kinds[k] = widenRest(rt.kinds[k], restKindOf(v))
		}
	}
}

// eachSpooled calls fn with every record of a spool file, its line number and its size.
func eachSpooled(path string, fn func(rec map[string]any, line int64, size int) error) error {
	f, err := os.Open(path) //nolint:gosec // a spool file this source made in its own temporary directory
	if err != nil {
		return fmt.Errorf("rest_api: open a spool: %w", err)
	}
	defer func() { _ = f.Close() }()
	br := bufio.NewReaderSize(f, 256<<10)
	for line := int64(0); ; line++ {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			var rec map[string]any
			if err := dec.Decode(&rec); err != nil {
				return fmt.Errorf("rest_api: read a spool: %w", err)
			}
			if err := fn(rec, line, len(b)); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("rest_api: read a spool: %w", err)
		}
	}
}

// Tables lists the tables that have records this run (a resource that returned none is left
// as it is in the destination). names selects resources, and with them their child tables.
func (s *restSource) Tables(_ context.Context, schema string, names []string) ([]*Table, error) {
	if schema != "" && schema != restapi.CatalogSchema {
		return nil, fmt.Errorf("a REST API has no schema %q (its resources are tables of %q)", schema, restapi.CatalogSchema)
	}
	names = restNames(names)
	out := []*Table{}
	for _, rt := range s.tables {
		if !rt.spool.selected || rt.rows == 0 {
			continue
		}
		if len(names) > 0 && !slices.ContainsFunc(names, func(n string) bool {
			return strings.EqualFold(n, rt.spool.res.Name) || strings.EqualFold(n, rt.name)
		}) {
			continue
		}
		if rt.t == nil {
			rt.t = rt.table()
		}
		out = append(out, rt.t)
	}
	s.listed = out
	return out, nil
}

// table builds the engine's table: the primary key first, the other columns by name, the
// columns the loader adds last; columns that were null in every record are left out.
func (rt *restTable) table() *Table {
	t := &Table{Name: rt.name, nestedNames: true}
	var keys, plain, added []string
	pk := map[string]bool{}
	if rt.root {
		for _, k := range rt.spool.res.PrimaryKey {
			pk[k] = true
			keys = append(keys, k)
		}
	}
	for k, kind := range rt.kinds {
		switch {
		case kind == restNull || pk[k]:
		case k == restIDColumn || k == restParentColumn || k == restListIdxColumn:
			added = append(added, k)
		default:
			plain = append(plain, k)
		}
	}
	slices.Sort(plain)
	slices.SortFunc(added, func(a, b string) int { return restAddedOrder(a) - restAddedOrder(b) })
	for _, k := range keys {
		kind := rt.kinds[k]
		if kind == restNull {
			continue // plan names the missing key
		}
		t.Columns = append(t.Columns, Column{Name: k, Type: kind.loadType()})
	}
	for _, k := range append(plain, added...) {
		t.Columns = append(t.Columns, Column{Name: k, Type: rt.kinds[k].loadType(), Nullable: k != restIDColumn})
	}
	if len(rt.spool.res.PrimaryKey) > 0 {
		t.keysFromSource = true
		if rt.root {
			t.PrimaryKey = slices.Clone(rt.spool.res.PrimaryKey)
		} else {
			t.PrimaryKey = []string{restIDColumn} // derived from the root's key: stable across runs
		}
	}
	return t
}

func restAddedOrder(c string) int {
	switch c {
	case restParentColumn:
		return 0
	case restListIdxColumn:
		return 1
	default:
		return 2
	}
}

func (s *restSource) table(t *Table) (*restTable, error) {
	for _, rt := range s.tables {
		if rt.t == t {
			return rt, nil
		}
	}
	return nil, noTable("", t.Name)
}

// Read replays the spool of t's resource, emitting the rows of t.
func (s *restSource) Read(ctx context.Context, t *Table, _ Window, batchSize int, emit Emit) error {
	rt, err := s.table(t)
	if err != nil {
		return err
	}
	kinds := make([]restKind, len(t.Columns))
	index := make(map[string]int, len(t.Columns))
	for i, c := range t.Columns {
		kinds[i], index[c.Name] = rt.kinds[c.Name], i
	}
	// Records arrive a page at a time: smaller batches keep the memory of a run flat from a few
	// pages up, where the engine's default (50,000 rows, three in flight) would grow with the
	// first 150,000 records.
	batchSize = min(batchSize, restMaxBatch)
	b := NewBatch(t.Columns, batchSize)
	var convErr error
	err = eachSpooled(rt.spool.path, func(rec map[string]any, line int64, size int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if rt.root {
			b.Bytes += int64(size)
		}
		rt.spool.flat.rows(rec, line, func(table string, row map[string]any) {
			if table != t.Name || convErr != nil {
				return
			}
			vals := b.Next()
			for k, v := range row {
				i, ok := index[k]
				if !ok {
					continue
				}
				if vals[i], convErr = kinds[i].convert(v); convErr != nil {
					convErr = fmt.Errorf("record %d, column %q: %w", line+1, k, convErr)
					return
				}
			}
		})
		if convErr != nil {
			return convErr
		}
		if b.Full(batchSize) {
			b, err = emit(b)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if b.Len() > 0 {
		_, err = emit(b)
	}
	return err
}

// Count is the number of rows of t read this run.
func (s *restSource) Count(_ context.Context, t *Table, _ Window) (int64, error) {
	rt, err := s.table(t)
	if err != nil {
		return 0, err
	}
	return rt.rows, nil
}

// cursorOf gives the cursor of an incremental resource to the last table listed that its
// records fill: the resource's own, its child tables and those of the resources depending on
// it. The cursor then moves only once every one of them is published, so a table that fails
// is read again from the same records on the next run, never skipped. Its key is the resource.
func (s *restSource) cursorOf(t *Table) (key, value string, ok bool) {
	rt, err := s.table(t)
	if err != nil {
		return "", "", false
	}
	top := s.topOf(rt)
	sp := s.spools[top]
	if sp == nil || sp.res.Incremental == nil || !sp.hasCursor {
		return "", "", false
	}
	var last *Table
	for _, lt := range s.listed {
		if l, err := s.table(lt); err == nil && s.topOf(l) == top {
			last = lt
		}
	}
	if last != t {
		return "", "", false
	}
	return top, sp.cursor, true
}

// topOf is the resource without a parent whose records (through dependent resources) made rt.
func (s *restSource) topOf(rt *restTable) string {
	name := rt.spool.res.Name
	for range s.res { // a parent is an earlier resource: no cycle
		p := s.conn.Parent(name)
		if p == "" {
			break
		}
		name = p
	}
	return name
}
