package run

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/transform"
	"github.com/datanika/datanika/internal/transform/project"
	"github.com/datanika/datanika/internal/transformation"
)

// TransformRunArgs is the job of one transformation or job run, inserted with the run's row.
type TransformRunArgs struct {
	OrgID int64 `json:"org_id"`
	RunID int64 `json:"run_id"`
}

// Kind implements river.JobArgs.
func (TransformRunArgs) Kind() string { return "transform_run" }

// InsertOpts implements river.JobArgsWithInsertOpts. A transform run is tried once: a failed
// model or test is the user's to fix, and a retry is one POST /runs/{id}/retry away.
func (TransformRunArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// TransformRunWorker works TransformRunArgs: it assembles the project of the run's destination
// from the database, opens the destination through the egress policy and runs the run's dbt
// command with the engine (internal/transform), recording each node's result as it finishes.
// It shares the pipeline worker's machinery: the org's concurrency limit and the start under
// the run's lock, the heartbeat and the reaper, the log sink, the recorded ending, the timeout.
type TransformRunWorker struct {
	river.WorkerDefaults[TransformRunArgs]
	base     *PipelineRunWorker
	projects *transformation.Service
}

// NewTransformRunWorker returns the worker; projects reads the org's projects.
func NewTransformRunWorker(cfg WorkerConfig, projects *transformation.Service) *TransformRunWorker {
	return &TransformRunWorker{base: NewPipelineRunWorker(cfg), projects: projects}
}

// RegisterTransform adds the transform run kind to a River worker registry.
func RegisterTransform(workers *river.Workers, w *TransformRunWorker) { river.AddWorker(workers, w) }

// Timeout is River's limit of the job: a little beyond RUN_TIMEOUT (see PipelineRunWorker).
func (w *TransformRunWorker) Timeout(*river.Job[TransformRunArgs]) time.Duration {
	return w.base.cfg.Timeout + time.Minute
}

// Work runs one transformation or job run.
func (w *TransformRunWorker) Work(ctx context.Context, job *river.Job[TransformRunArgs]) error {
	a := job.Args
	r, outcome, err := w.base.start(ctx, PipelineRunArgs(a))
	if errors.Is(err, pgx.ErrNoRows) {
		return river.JobCancel(fmt.Errorf("run %d of org %d does not exist", a.RunID, a.OrgID))
	}
	if err != nil {
		return fmt.Errorf("start run %d: %w", a.RunID, err)
	}
	switch outcome {
	case atLimit:
		return river.JobSnooze(w.base.cfg.LimitWait)
	case waitingUpstream:
		return river.JobSnooze(w.base.cfg.DependencyRecheck)
	case ended, reaped:
		return nil
	case workerLost:
		if err := w.base.failLost(ctx, r); err != nil {
			return fmt.Errorf("end run %d: %w", r.ID, err)
		}
		if sink, err := w.base.openLog(ctx, r, nil); err == nil {
			slog.New(&logHandler{sink: sink}).Error("run failed: " + errWorkerLost)
			sink.Close()
		}
		return river.JobCancel(errors.New(errWorkerLost))
	}
	return w.execute(ctx, r)
}

// nodeStats keeps the results of a run's nodes for runs.stats, without compiled SQL.
type nodeStats struct {
	mu    sync.Mutex
	nodes []transform.Result
}

func (n *nodeStats) add(r transform.Result) {
	n.mu.Lock()
	defer n.mu.Unlock()
	r.CompiledSQL = ""
	n.nodes = append(n.nodes, r)
}

func (n *nodeStats) snapshot() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return Stats{Phase: PhaseTransforming, Nodes: append([]transform.Result{}, n.nodes...)}
}

// PhaseTransforming is the phase of a transform run while its nodes run.
const PhaseTransforming = "transforming"

func (w *TransformRunWorker) execute(ctx context.Context, r dbgen.Run) error {
	cfg := w.base.cfg
	p := auth.Principal{OrgID: r.OrgID}
	log := cfg.Logger.With("run_id", r.ID, "org_id", r.OrgID)
	spec := TransformSpec{Command: transform.CmdBuild, Threads: 4}
	if r.Command != nil {
		spec.Command = *r.Command
	}
	if r.Selector != nil {
		spec.Select = *r.Selector
	}
	if r.Exclude != nil {
		spec.Exclude = *r.Exclude
	}
	if r.Threads != nil {
		spec.Threads = *r.Threads
	}

	// The destination and its project, read through the run's org.
	var destID int64
	prepErr := database.InTx(ctx, cfg.Pool, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
		var err error
		destID, err = dbgen.New(tx).TransformRunDestination(ctx, dbgen.TransformRunDestinationParams{
			ForOrg: r.OrgID, TargetID: r.TargetID, TargetType: r.TargetType})
		return err
	})
	var scrub *scrubber
	var in transformation.Input
	var schema string
	var dstType string
	var db *sql.DB
	var dstManaged bool
	// The project's read and the destination's opening (then the log's) are independent: the
	// project is read beside them.
	var loaded chan struct{}
	var loadErr error
	if prepErr == nil {
		loaded = make(chan struct{})
		go func() {
			defer close(loaded)
			var conn dbgen.Connection
			in, schema, conn, loadErr = w.projects.LoadProject(ctx, p, destID)
			dstType = conn.Type
		}()
		dst, err := cfg.Connections.Get(ctx, p, destID)
		if err != nil {
			prepErr = fmt.Errorf("destination connection %d: %w", destID, err)
		} else {
			dstManaged = dst.Managed
			scrub = newScrubber(cfg.Connections.Registry().Secrets(dst.Type, dst.Config)...)
			db, prepErr = cfg.Connections.SQLDBEnv(dst, cfg.Env(r.OrgID, dst.Managed), int(spec.Threads)+1)
		}
	}
	if db != nil {
		defer func() { _ = db.Close() }()
	}
	sink, err := w.base.openLog(ctx, r, scrub)
	if loaded != nil {
		<-loaded
		if loadErr != nil { // the project's error first, as when it was read before the connection
			prepErr = loadErr
		}
	}
	if err != nil {
		return w.end(ctx, r, nil, log, StatusFailed, oneLine(err, nil), Stats{Phase: PhaseDone})
	}
	runLog := slog.New(&logHandler{sink: sink})
	runLog.Info("run started", "run_id", r.ID, "target_type", r.TargetType, "target_id", r.TargetID, "command", spec.Command,
		"select", spec.Select, "exclude", spec.Exclude, "full_refresh", r.FullRefresh, "threads", spec.Threads, "trigger", r.Trigger)
	if prepErr != nil {
		reason := oneLine(prepErr, scrub)
		runLog.Error("run failed: " + reason)
		sink.Close()
		return w.end(ctx, r, nil, log, StatusFailed, reason, Stats{Phase: PhaseDone})
	}

	// Each node's result is logged at once; runs.stats is written at most every StatsInterval
	// by a goroutine of its own, so the engine's scheduling never waits for the metadata database.
	stats := &nodeStats{}
	writeStats := func(s Stats) {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := database.InTx(wctx, cfg.Pool, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
			return dbgen.New(tx).SetRunStats(wctx, dbgen.SetRunStatsParams{OrgID: r.OrgID, ID: r.ID, Stats: statsJSON(s)})
		}); err != nil {
			log.Debug("run stats not written", "error", err)
		}
	}
	changed := make(chan struct{}, 1)
	statsDone := make(chan struct{})
	stopStats := make(chan struct{})
	go func() {
		defer close(statsDone)
		for {
			select {
			case <-stopStats:
				return
			case <-changed:
			}
			writeStats(stats.snapshot())
			select {
			case <-stopStats:
				return
			case <-time.After(cfg.StatsInterval):
			}
		}
	}()
	onResult := func(res transform.Result) {
		level := slog.LevelInfo
		switch res.Status {
		case transform.StatusError, transform.StatusFail:
			level = slog.LevelError
		case transform.StatusWarn, transform.StatusSkipped:
			level = slog.LevelWarn
		}
		runLog.Log(ctx, level, strings.ToUpper(res.Status)+" "+res.UniqueID, "unique_id", res.UniqueID, "status", res.Status,
			"rows_affected", res.RowsAffected, "failures", res.Failures, "seconds", res.Seconds, "message", res.Message)
		stats.add(res)
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	parsed, err := w.projects.ParseForRun(ctx, r.OrgID, destID, in, transform.Options{
		Dialect: transformation.DialectOf(dstType), TargetSchema: schema, FullRefresh: r.FullRefresh, Threads: int(spec.Threads),
		Logger: slog.New(slog.DiscardHandler), OnResult: onResult, RunStartedAt: time.Now().UTC(),
	})
	if err != nil {
		reason := oneLine(err, scrub)
		runLog.Error("run failed: the project does not parse: " + reason)
		close(stopStats)
		<-statsDone
		sink.Close()
		return w.end(ctx, r, nil, log, StatusFailed, reason, Stats{Phase: PhaseDone})
	}
	select { // the phase, written by the stats goroutine: the run does not wait for it
	case changed <- struct{}{}:
	default:
	}

	lctx, cancel := context.WithTimeoutCause(ctx, cfg.Timeout, errTimedOut)
	hctx, stop := context.WithCancelCause(lctx)
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		w.base.heartbeat(hctx, r, stop, log)
	}()
	// Two runs that would build the same relation never build it at once (relation_locks.go).
	var summary *transform.Summary
	keys, runErr := relationKeys(parsed.Engine, destID, spec.Command, spec.Select, spec.Exclude)
	var locks *relationLocks
	if runErr == nil {
		locks, runErr = lockRelations(hctx, cfg.Pool, keys, runLog)
	}
	if runErr == nil {
		summary, runErr = parsed.Engine.Run(hctx, db, spec.Command, spec.Select, spec.Exclude)
		locks.release()
	}
	timedOut := errors.Is(context.Cause(lctx), errTimedOut)
	reaped := errors.Is(context.Cause(hctx), errRunReaped)
	cancelled := errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely)
	stop(nil)
	<-beating
	cancel()
	close(stopStats)
	<-statsDone

	final := Stats{Phase: PhaseDone, Nodes: []transform.Result{}}
	var rows int64
	artifactsDone := make(chan struct{})
	if summary != nil {
		for _, n := range summary.Nodes {
			n.CompiledSQL = ""
			final.Nodes = append(final.Nodes, n)
			rows += n.RowsAffected
		}
		for _, warning := range summary.Warnings {
			runLog.Warn(warning)
		}
		// The artifacts are written beside the catalog's update; the run ends after both.
		go func() {
			defer close(artifactsDone)
			w.saveArtifacts(ctx, r, parsed, summary, spec.Command, log)
		}()
	} else {
		close(artifactsDone)
	}
	var status, reason string
	switch {
	case reaped:
		runLog.Error("stopped: the run had been ended failed while this worker was cut off")
		<-artifactsDone
		sink.Close()
		return river.JobCancel(errRunReaped)
	case cancelled:
		status, reason = StatusCancelled, "cancelled by a user"
		runLog.Warn("run cancelled; nodes not started were skipped and the relation being built was left as it was")
	case timedOut:
		status, reason = StatusFailed, fmt.Sprintf("timed out after %s (RUN_TIMEOUT)", cfg.Timeout)
		runLog.Error("run failed: " + reason)
	case runErr != nil:
		status, reason = StatusFailed, oneLine(runErr, scrub)
		runLog.Error("run failed: " + reason)
	case summary.Status != transform.StatusSuccess:
		status, reason = StatusFailed, failureReason(summary, scrub)
		runLog.Error("run failed: " + reason)
	case ctx.Err() != nil:
		status, reason = StatusFailed, "the worker stopped before the run ended"
		runLog.Error("run failed: " + reason)
	default:
		status = StatusSuccess
		w.addBuiltToCatalog(ctx, r, destID, dstManaged, db, parsed, summary, runLog)
		runLog.Info("run succeeded", "nodes", len(summary.Nodes), "rows_affected", rows, "seconds", summary.Seconds)
	}
	<-artifactsDone
	sink.Close()
	return w.end(ctx, r, summary, log, status, reason, final)
}

// failureReason is the one-line error of a run some of whose nodes failed.
func failureReason(s *transform.Summary, scrub *scrubber) string {
	var failed []string
	first := ""
	for _, n := range s.Nodes {
		if n.Status == transform.StatusError || n.Status == transform.StatusFail {
			failed = append(failed, n.UniqueID)
			if first == "" {
				first = n.UniqueID + ": " + n.Message
			}
		}
	}
	if len(failed) == 0 {
		return "the run did not succeed"
	}
	msg := strconv.Itoa(len(failed)) + " node(s) failed; first " + first
	if scrub != nil {
		msg = scrub.String(msg)
	}
	if i := strings.IndexByte(msg, '\n'); i > 0 {
		msg = msg[:i]
	}
	return msg
}

// end records the run's ending and tells River the job is done (never retried: see InsertOpts).
func (w *TransformRunWorker) end(ctx context.Context, r dbgen.Run, _ *transform.Summary, log *slog.Logger, status, reason string, stats Stats) error {
	var rows int64
	for _, n := range stats.Nodes {
		rows += n.RowsAffected
	}
	var why *string
	if reason != "" {
		why = &reason
	}
	if err := w.base.recordEnd(ctx, r, status, why, rows, stats, log); err != nil {
		return fmt.Errorf("end run %d as %s: %w", r.ID, status, err)
	}
	log.Info("run ended", "status", status)
	if status == StatusSuccess {
		return nil
	}
	return river.JobCancel(errors.New(status + ": " + reason))
}

// saveArtifacts stores the run's run_results.json and the project's manifest.json.
func (w *TransformRunWorker) saveArtifacts(ctx context.Context, r dbgen.Run, parsed *transformation.Parsed, s *transform.Summary, command string, log *slog.Logger) {
	now := time.Now()
	invocation := fmt.Sprintf("run-%d", r.ID)
	results, err := transformation.RunResults(s, invocation, command, now)
	if err != nil {
		log.Warn("run_results.json not written", "error", err)
		return
	}
	manifest, err := transformation.Manifest(parsed, invocation, now)
	if err != nil {
		log.Warn("manifest.json not written", "error", err)
		return
	}
	wctx, cancel := cleanupContext(ctx)
	defer cancel()
	err = database.InTx(wctx, w.base.cfg.Pool, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		if err := q.PutRunArtifact(wctx, dbgen.PutRunArtifactParams{RunID: r.ID, Name: "run_results.json", OrgID: r.OrgID, Body: results}); err != nil {
			return err
		}
		return q.PutRunArtifact(wctx, dbgen.PutRunArtifactParams{RunID: r.ID, Name: "manifest.json", OrgID: r.OrgID, Body: manifest})
	})
	if err != nil {
		log.Warn("run artifacts not written", "error", err)
	}
}

// addBuiltToCatalog records the relations a successful run built (models, seeds, snapshots) in
// the destination connection's catalog, with their columns as the destination reports them.
// A failure here is logged and leaves the run a success: the relations are built either way.
func (w *TransformRunWorker) addBuiltToCatalog(ctx context.Context, r dbgen.Run, destID int64, _ bool, db *sql.DB,
	parsed *transformation.Parsed, s *transform.Summary, runLog *slog.Logger) {
	wctx, cancel := cleanupContext(ctx)
	defer cancel()
	d := parsed.Engine
	dia := transformation.DialectOf(parsed.Adapter)
	bySchema := map[string][]string{}
	seen := map[[2]string]bool{}
	for _, n := range s.Nodes {
		if n.Status != transform.StatusSuccess {
			continue
		}
		switch n.ResourceType {
		case project.Model, project.Seed, project.Snapshot:
		default:
			continue
		}
		schema, name, ephemeral, ok := d.RelationOf(n.UniqueID)
		if !ok || ephemeral || seen[[2]string{schema, name}] {
			continue
		}
		seen[[2]string{schema, name}] = true
		bySchema[schema] = append(bySchema[schema], name)
	}
	// One look at each schema's tables and columns, whatever the number of relations; every
	// relation the destination shows goes into one statement.
	var p dbgen.UpsertBuiltCatalogEntriesParams
	for schema, names := range bySchema {
		kinds, cols := readSchema(wctx, db, dia.Placeholder(1), schema)
		for _, name := range names {
			kind, ok := kinds[name]
			if !ok {
				continue
			}
			c := cols[name]
			if c == nil {
				c = []connectors.Column{}
			}
			raw, _ := json.Marshal(c)
			p.SchemaNames = append(p.SchemaNames, schema)
			p.TableNames = append(p.TableNames, name)
			p.Kinds = append(p.Kinds, kind)
			p.Columns = append(p.Columns, raw)
		}
	}
	if len(p.TableNames) == 0 {
		return
	}
	p.OrgID, p.ConnectionID = r.OrgID, destID
	err := database.InTx(wctx, w.base.cfg.Pool, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
		return dbgen.New(tx).UpsertBuiltCatalogEntries(wctx, p)
	})
	if err != nil {
		runLog.Warn("the built relations could not be recorded in the destination's catalog", "error", err)
		return
	}
	runLog.Info("built relations recorded in the destination's catalog", "relations", len(p.TableNames))
}

// readSchema reads the tables (name → "view" or "table") and columns (table → its columns in
// order) of one schema of the destination from its information schema, both queries at once;
// what cannot be read is left out.
func readSchema(ctx context.Context, db *sql.DB, placeholder, schema string) (map[string]string, map[string][]connectors.Column) {
	kinds, cols := map[string]string{}, map[string][]connectors.Column{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The placeholder is the dialect's own ($1 or ?); the schema is a bound argument.
		eachRow(ctx, db, "select table_name, column_name, data_type from information_schema.columns where table_schema = "+placeholder+ //nolint:gosec // see above
			" order by table_name, ordinal_position", schema, func(table, column, typ string) {
			cols[table] = append(cols[table], connectors.Column{Name: column, Type: typ, Nullable: true})
		})
	}()
	eachRow(ctx, db, "select table_name, table_type, '' from information_schema.tables where table_schema = "+placeholder, schema, //nolint:gosec // see above
		func(table, typ, _ string) {
			kinds[table] = "table"
			if strings.EqualFold(typ, "VIEW") {
				kinds[table] = "view"
			}
		})
	<-done
	return kinds, cols
}

// eachRow calls fn with the three text columns of each row of query.
func eachRow(ctx context.Context, db *sql.DB, query, arg string, fn func(a, b, c string)) {
	rows, err := db.QueryContext(ctx, query, arg)
	if err != nil {
		return
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var a, b, c string
		if rows.Scan(&a, &b, &c) == nil {
			fn(a, b, c)
		}
	}
	_ = rows.Err()
}
