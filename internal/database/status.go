package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/datanika/datanika/db/dbgen"
)

// Status is what readiness needs to know about the metadata database.
type Status struct {
	Reachable       bool
	Latency         time.Duration
	Err             error
	Schema          SchemaVersion
	ExpectedVersion int64
	QueueVersion    int64
	// WorkerHeartbeatAt is when a worker last proved alive; zero when none has yet.
	WorkerHeartbeatAt time.Time
}

// Current reports whether the schema is exactly at the version this binary expects.
func (s Status) Current() bool {
	return s.Reachable && !s.Schema.Dirty && s.Schema.Version == s.ExpectedVersion
}

// CheckStatus pings the database and reads the applied schema versions.
func CheckStatus(ctx context.Context, pool *pgxpool.Pool) Status {
	st := Status{ExpectedVersion: ExpectedVersion()}
	start := time.Now()
	if err := pool.Ping(ctx); err != nil {
		st.Err = fmt.Errorf("ping: %w", unwrapConnectError(err))
		return st
	}
	st.Latency = time.Since(start)
	st.Reachable = true
	if st.Schema, st.Err = readSchemaVersion(ctx, pool); st.Err != nil {
		return st
	}
	if st.QueueVersion, st.Err = readQueueVersion(ctx, pool); st.Err != nil || !st.Current() {
		return st
	}
	inst, err := dbgen.New(pool).GetInstallation(ctx)
	if err != nil {
		st.Err = fmt.Errorf("read installation: %w", err)
		return st
	}
	if inst.WorkerHeartbeatAt.Valid {
		st.WorkerHeartbeatAt = inst.WorkerHeartbeatAt.Time
	}
	return st
}

func readQueueVersion(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var v *int64
	err := pool.QueryRow(ctx, "SELECT max(version) FROM river_migration WHERE line = 'main'").Scan(&v)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01":
		return 0, nil
	case errors.Is(err, pgx.ErrNoRows), err == nil && v == nil:
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("read queue schema version: %w", err)
	}
	return *v, nil
}
