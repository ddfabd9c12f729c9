package run

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/database"
)

// Log batching: lines are written together every flushInterval or flushLines lines, whichever
// comes first, so logging costs a load one statement per batch rather than one per line.
const (
	flushInterval = 200 * time.Millisecond
	flushLines    = 100
)

type logLine struct {
	at      time.Time
	level   string
	message string
	fields  []byte
}

// logSink buffers one run's lines and writes them to run_logs with increasing seq. It is the
// only writer of a running run's lines.
type logSink struct {
	pool   *pgxpool.Pool
	orgID  int64
	runID  int64
	scrub  *scrubber
	logger *slog.Logger // where failures to write lines go

	mu      sync.Mutex
	seq     int64
	pending []logLine
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

func newLogSink(ctx context.Context, pool *pgxpool.Pool, orgID, runID int64, scrub *scrubber, logger *slog.Logger) (*logSink, error) {
	s := &logSink{pool: pool, orgID: orgID, runID: runID, scrub: scrub, logger: logger,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	err := database.InTx(ctx, pool, database.Scope{OrgID: orgID}, func(tx pgx.Tx) error {
		var err error
		s.seq, err = dbgen.New(tx).LastRunLogSeq(ctx, dbgen.LastRunLogSeqParams{OrgID: orgID, RunID: runID})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the last log line of run %d: %w", runID, err)
	}
	go s.loop()
	return s, nil
}

func (s *logSink) add(l logLine) {
	s.mu.Lock()
	s.pending = append(s.pending, l)
	n := len(s.pending)
	s.mu.Unlock()
	if n >= flushLines {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

func (s *logSink) loop() {
	defer close(s.done)
	tick := time.NewTicker(flushInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-s.kick:
		case <-s.stop:
			s.flush()
			return
		}
		s.flush()
	}
}

// flush writes the pending lines. It uses its own context: lines of a cancelled run (the
// cancellation itself above all) must still be written.
func (s *logSink) flush() {
	s.mu.Lock()
	lines := s.pending
	s.pending = nil
	s.mu.Unlock()
	if len(lines) == 0 {
		return
	}
	p := dbgen.InsertRunLogsParams{RunID: s.runID, OrgID: s.orgID}
	for _, l := range lines {
		s.seq++
		p.Seqs = append(p.Seqs, s.seq)
		p.Ats = append(p.Ats, pgtype.Timestamptz{Time: l.at, Valid: true})
		p.Levels = append(p.Levels, l.level)
		p.Messages = append(p.Messages, l.message)
		p.Fields = append(p.Fields, l.fields)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := database.InTx(ctx, s.pool, database.Scope{OrgID: s.orgID}, func(tx pgx.Tx) error {
		return dbgen.New(tx).InsertRunLogs(ctx, p)
	})
	if err != nil {
		s.seq -= int64(len(lines))
		s.logger.Warn("run log lines lost", "run_id", s.runID, "org_id", s.orgID, "lines", len(lines), "error", err)
	}
}

// Close writes what is pending and stops the sink.
func (s *logSink) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

// logHandler is the slog.Handler of a run: each record becomes a run_logs line with its
// attributes as fields (groups nested), secrets scrubbed from message and values.
type logHandler struct {
	sink   *logSink
	pause  func(message string) // WorkerConfig.Pause, for tests
	attrs  []groupedAttr
	groups []string
}

// groupedAttr is an attribute added with WithAttrs under the groups open at the time.
type groupedAttr struct {
	path []string
	attr slog.Attr
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

// at returns the map at path under m, creating it.
func at(m map[string]any, path []string) map[string]any {
	for _, g := range path {
		sub, ok := m[g].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[g] = sub
		}
		m = sub
	}
	return m
}

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	fields := map[string]any{}
	for _, a := range h.attrs {
		h.put(at(fields, a.path), a.attr)
	}
	if r.NumAttrs() > 0 {
		target := at(fields, h.groups)
		r.Attrs(func(a slog.Attr) bool {
			h.put(target, a)
			return true
		})
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		raw = []byte("{}")
	}
	when := r.Time
	if when.IsZero() {
		when = time.Now()
	}
	h.sink.add(logLine{at: when, level: levelName(r.Level), message: h.sink.scrub.String(r.Message), fields: raw})
	if h.pause != nil {
		h.pause(r.Message)
	}
	return nil
}

func (h *logHandler) put(m map[string]any, a slog.Attr) {
	v := a.Value.Resolve()
	if a.Key == "" && v.Kind() != slog.KindGroup {
		return
	}
	switch v.Kind() {
	case slog.KindGroup:
		sub := m
		if a.Key != "" {
			sub = map[string]any{}
			m[a.Key] = sub
		}
		for _, ga := range v.Group() {
			h.put(sub, ga)
		}
	case slog.KindString:
		m[a.Key] = h.sink.scrub.String(v.String())
	case slog.KindInt64:
		m[a.Key] = v.Int64()
	case slog.KindUint64:
		m[a.Key] = v.Uint64()
	case slog.KindFloat64:
		m[a.Key] = v.Float64()
	case slog.KindBool:
		m[a.Key] = v.Bool()
	case slog.KindDuration:
		m[a.Key] = v.Duration().String()
	case slog.KindTime:
		m[a.Key] = v.Time().UTC().Format(time.RFC3339Nano)
	default:
		switch x := v.Any().(type) {
		case error:
			m[a.Key] = h.sink.scrub.String(x.Error())
		case fmt.Stringer:
			m[a.Key] = h.sink.scrub.String(x.String())
		default:
			if b, err := json.Marshal(x); err == nil && !h.sink.scrub.contains(string(b)) {
				m[a.Key] = json.RawMessage(b)
			} else {
				m[a.Key] = h.sink.scrub.String(fmt.Sprint(x))
			}
		}
	}
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]groupedAttr(nil), h.attrs...)
	for _, a := range attrs {
		c.attrs = append(c.attrs, groupedAttr{path: h.groups, attr: a})
	}
	return &c
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.groups = append(append([]string(nil), h.groups...), name)
	return &c
}

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warn"
	case l >= slog.LevelInfo:
		return "info"
	default:
		return "debug"
	}
}

// scrubber removes known secret values (the secrets of the run's connections, also in their
// URL-escaped forms) from text before it is stored; text that shows a secret too short to mask
// safely is withheld whole (see connectors.Scrub).
type scrubber struct{ secrets []string }

func newScrubber(secrets ...string) *scrubber { return &scrubber{secrets: secrets} }

func (s *scrubber) String(v string) string {
	if s == nil || len(s.secrets) == 0 {
		return v
	}
	return connectors.Scrub(v, s.secrets)
}

func (s *scrubber) contains(v string) bool { return s.String(v) != v }
