package run

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/datanika/datanika/internal/transform"
	"github.com/datanika/datanika/internal/transform/project"
)

// relationKeys are the relations a command over a selection builds (models, seeds, snapshots;
// ephemeral models are never built), as keys of the destination: "<dest>/<schema>.<name>",
// sorted, so every run takes their locks in one order and two runs cannot deadlock.
func relationKeys(e *transform.Engine, destID int64, command, sel, exclude string) ([]string, error) {
	builds := map[string][]string{
		transform.CmdBuild: {project.Model, project.Seed, project.Snapshot}, transform.CmdRun: {project.Model},
		transform.CmdSeed: {project.Seed}, transform.CmdSnapshot: {project.Snapshot},
	}[command]
	if len(builds) == 0 {
		return nil, nil
	}
	chosen, err := e.Graph().Select(sel, exclude)
	if err != nil {
		return nil, err
	}
	var keys []string
	for id := range chosen {
		n := e.Graph().Node(id)
		if n == nil {
			continue
		}
		wanted := false
		for _, t := range builds {
			wanted = wanted || n.ResourceType == t
		}
		schema, name, ephemeral, ok := e.RelationOf(id)
		if !wanted || !ok || ephemeral {
			continue
		}
		keys = append(keys, strconv.FormatInt(destID, 10)+"/"+schema+"."+name)
	}
	sort.Strings(keys)
	return keys, nil
}

// relationLocks holds session advisory locks of the metadata database on relations, so two
// runs that would build the same relation never build it at once: the second waits, saying
// so in its log, until the first ends. The locks live on one connection taken from the pool for
// the run and end with it (a worker that dies drops its connection, and its locks with it).
type relationLocks struct {
	conn *pgxpool.Conn
}

// lockRelations takes the locks of keys in order, waiting (cancellable by ctx) for those
// another run holds.
func lockRelations(ctx context.Context, pool *pgxpool.Pool, keys []string, runLog *slog.Logger) (*relationLocks, error) {
	if len(keys) == 0 {
		return &relationLocks{}, nil
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	l := &relationLocks{conn: conn}
	// The common case, nobody else building them: every lock in one round trip.
	var all bool
	if err := conn.QueryRow(ctx, `SELECT bool_and(pg_try_advisory_lock(hashtext('datanika.relation'), hashtext(k)))
		FROM unnest($1::text[]) WITH ORDINALITY AS t(k, i)`, keys).Scan(&all); err != nil {
		l.release()
		return nil, fmt.Errorf("lock the relations: %w", err)
	}
	if all {
		return l, nil
	}
	// Some are another run's: let go of all, then wait for each in order (no deadlock).
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock_all()`); err != nil {
		l.release()
		return nil, err
	}
	for _, k := range keys {
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('datanika.relation'), hashtext($1))`, k).Scan(&got); err != nil {
			l.release()
			return nil, fmt.Errorf("lock %s: %w", k, err)
		}
		if got {
			continue
		}
		runLog.Info("waiting for another run that builds the same relation", "relation", k)
		start := time.Now()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('datanika.relation'), hashtext($1))`, k); err != nil {
			l.release()
			return nil, fmt.Errorf("wait for %s: %w", k, err)
		}
		runLog.Info("the other run ended; going on", "relation", k, "waited_seconds", time.Since(start).Seconds())
	}
	return l, nil
}

// release drops every lock of the run and gives the connection back.
func (l *relationLocks) release() {
	if l == nil || l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock_all()`); err != nil {
		// A connection whose locks cannot be dropped must not go back to the pool holding them.
		_ = l.conn.Conn().Close(ctx)
	}
	l.conn.Release()
	l.conn = nil
}
