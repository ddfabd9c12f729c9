package restapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// State is what the load engine keeps between runs of an incremental resource.
type State struct {
	// Cursor is the high-water mark the last run reported (Records.Cursor): a string or a
	// json.Number (numbers of other Go types are accepted too). Nil on a first run, when the
	// resource's incremental.initial_value, if any, is sent instead.
	Cursor any
}

// Records streams the records of one resource, page by page: only the page being read is held
// in memory. Use it like sql.Rows:
//
//	recs, err := conn.Read(ctx, "orders", restapi.State{Cursor: stored})
//	if err != nil { … }
//	defer recs.Close()
//	for recs.Next() {
//		row := recs.Record() // map[string]any; numbers are json.Number, exact
//	}
//	if err := recs.Err(); err != nil { … } // the run failed: keep the old state
//	mark, ok := recs.Cursor()              // store after the destination commit
//
// A Records is not safe for concurrent use.
type Records struct {
	ctx   context.Context //nolint:containedctx // an iterator, like sql.Rows, outlives the call that made it
	c     *Connector
	s     *session
	res   *Resource
	pager *pager

	next    *url.URL // nil when no page is left
	page    []any
	i       int
	rec     map[string]any
	pending error // the paginator's failure, reported once the page read is consumed
	err     error
	pages   int
	limited bool
	closed  bool

	mark    any
	markTxt string
	hasMark bool
}

// Read starts reading a resource. Nothing is requested before the first Next. The context
// bounds the whole read: cancelling it stops a request, a backoff or a rate-limit wait.
func (c *Connector) Read(ctx context.Context, resource string, state State) (*Records, error) {
	return c.read(ctx, resource, nil, state)
}

// read starts reading a resource; parent, for a dependent resource, is the parent record whose
// fields fill its placeholders.
func (c *Connector) read(ctx context.Context, resource string, parent map[string]any, state State) (*Records, error) {
	r, err := c.resource(resource)
	if err != nil {
		return nil, err
	}
	if p, _ := parentOf(r); p != "" && parent == nil {
		return nil, fmt.Errorf("resource %s depends on %s: read it for each %s record (ReadChild)", r.Name, p, p)
	}
	if r, err = resolve(r, parent); err != nil {
		return nil, err
	}
	p := newPager(r.pager)
	start := state.Cursor
	if start == nil && r.Incremental != nil {
		start = rawValue(r.Incremental.InitialValue)
	}
	u, err := c.firstURL(r, start, p)
	if err != nil {
		return nil, err
	}
	recs := &Records{ctx: ctx, c: c, s: c.newSession(ctx), res: r, pager: p, next: u}
	if r.Incremental != nil {
		recs.observe(start)
	}
	return recs, nil
}

// firstURL is the first page's URL: the base URL joined with the resource's path, the
// resource's params, the incremental parameter (when cursor is set) and the paginator's
// first-page parameters. Credentials are added per request, never stored in a URL.
func (c *Connector) firstURL(r *Resource, cursor any, p *pager) (*url.URL, error) {
	rel, err := url.Parse(r.Path)
	if err != nil || rel.Scheme != "" || rel.Host != "" {
		return nil, fmt.Errorf("resource %s: path must be relative to the base URL", r.Name)
	}
	u := c.base.JoinPath(rel.EscapedPath())
	u.Fragment, u.RawFragment = "", ""
	q := c.base.Query()
	for k, vs := range rel.Query() {
		q[k] = vs
	}
	for k, raw := range r.Params {
		if v, ok := rawText(raw); ok {
			q.Set(k, v)
		}
	}
	if r.Incremental != nil && cursor != nil {
		v, ok := scalarText(cursor)
		if !ok {
			return nil, fmt.Errorf("resource %s: the incremental cursor is not a string or number", r.Name)
		}
		q.Set(r.Incremental.Param, v)
	}
	p.start(q)
	u.RawQuery = q.Encode()
	return u, nil
}

// rawValue decodes a raw config value keeping numbers exact.
func rawValue(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return v
}

// Next advances to the next record, fetching the next page when the current one is used up.
// It returns false at the end, on an error (see Err) and after Close.
func (r *Records) Next() bool {
	for {
		if r.err != nil || r.closed {
			return false
		}
		if r.i < len(r.page) {
			r.rec = toRecord(r.page[r.i])
			r.page[r.i] = nil // let the page shrink as it is read
			r.i++
			r.track(r.rec)
			return true
		}
		r.page, r.rec = nil, nil
		if r.next == nil {
			if r.pending != nil {
				r.err, r.pending = r.pending, nil
			}
			return false
		}
		if max := r.c.cfg.MaxPages; max > 0 && r.pages >= max {
			r.limited, r.next = true, nil
			continue
		}
		pg, err := r.s.fetch(r.ctx, r.next, r.res, r.c.cfg.Retry.MaxAttempts)
		if err != nil {
			r.err = fmt.Errorf("resource %s, page %d: %w", r.res.Name, r.pages+1, err)
			return false
		}
		r.pages++
		next, err := r.pager.next(r.c.base, pg)
		if err != nil {
			r.pending = r.s.wrap(fmt.Sprintf("resource %s, after page %d: %v", r.res.Name, r.pages, err), err)
		}
		r.next = next
		r.page, r.i = pg.records, 0
	}
}

// Record returns the current record. Numbers are json.Number (exact); nested objects and
// arrays are map[string]any and []any. The map belongs to the caller.
func (r *Records) Record() map[string]any { return r.rec }

// Err returns the error that ended the read, if any. Its message is free of secrets.
func (r *Records) Err() error { return r.err }

// Pages returns how many pages were read so far.
func (r *Records) Pages() int { return r.pages }

// LimitReached reports that the read stopped at max_pages while the API had more.
func (r *Records) LimitReached() bool { return r.limited }

// Cursor returns the high-water mark of an incremental resource: the highest value at the
// resource's cursor_path among the records read, or the value the read started from when none
// was higher. ok is false for a resource that is not incremental or when there is no value.
// The engine stores it only after the destination committed, and passes it back as State.
func (r *Records) Cursor() (any, bool) { return r.mark, r.hasMark }

// CursorText is Cursor as text, for a state store that keeps strings: passed back as
// State.Cursor, the text orders as the value did (numbers as numbers, timestamps as instants).
func (r *Records) CursorText() (string, bool) { return r.markTxt, r.hasMark }

// Close ends the read and releases its connections. It is safe to call more than once.
func (r *Records) Close() error {
	if !r.closed {
		r.closed = true
		r.page, r.rec = nil, nil
		r.s.close()
	}
	return nil
}

func (r *Records) track(rec map[string]any) {
	if r.res.Incremental == nil {
		return
	}
	v, _ := lookup(rec, r.res.Incremental.CursorPath)
	r.observe(v)
}

func (r *Records) observe(v any) {
	text, ok := scalarText(v)
	if !ok || text == "" {
		return
	}
	if !r.hasMark || compareCursor(text, r.markTxt) > 0 {
		r.mark, r.markTxt, r.hasMark = v, text, true
	}
}
