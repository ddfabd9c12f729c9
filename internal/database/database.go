// Package database owns the connection to the metadata database and its schema: opening the
// pgx pool (with a bounded retry at start), applying our migrations and River's under one
// advisory lock, and reporting the applied versions for readiness.
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Connect opens a pool on url and pings it, retrying with backoff until timeout has passed, so a
// process started together with its database waits for it, and one pointed at nothing fails fast.
func Connect(ctx context.Context, url string, timeout time.Duration, logger *slog.Logger, opts ...func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("invalid database URL: %w", err)
	}
	for _, o := range opts {
		o(cfg)
	}
	cfg.ConnConfig.ConnectTimeout = min(5*time.Second, timeout)
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "datanika"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}

	deadline := time.Now().Add(timeout)
	backoff := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		pingCtx, cancel := context.WithTimeout(ctx, cfg.ConnConfig.ConnectTimeout)
		err = pool.Ping(pingCtx)
		cancel()
		if err == nil {
			return pool, nil
		}
		if ctx.Err() != nil || time.Now().Add(backoff).After(deadline) {
			pool.Close()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("cannot reach the database at %s:%d after %d attempts in %s: %w",
				cfg.ConnConfig.Host, cfg.ConnConfig.Port, attempt, timeout, unwrapConnectError(err))
		}
		logger.Debug("database not reachable yet, retrying", "attempt", attempt, "error", unwrapConnectError(err))
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// unwrapConnectError keeps the innermost reason of a pgconn connect error, which is what a
// person needs ("connection refused", "password authentication failed"), and never a password.
func unwrapConnectError(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
