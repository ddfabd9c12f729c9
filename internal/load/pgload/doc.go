// Package pgload is the load engine's PostgreSQL system: the source (one REPEATABLE READ
// read-only transaction, parallel key ranges over connections that share its snapshot), the
// destination (binary COPY into staging, then one publishing transaction per table for
// append, replace and merge, delta merges, its DDL) and the fast paths that end in it, chosen
// by what the source can do: raw binary COPY from PostgreSQL, COPY text from MySQL/MariaDB
// (load.MySQLTextSource) and from data files (load.CopyTextSource, load.CopyBinarySource). It registers both with
// package load when linked: whatever runs loads (internal/run, cmd/datanika) imports it.
package pgload

import (
	"context"

	"github.com/datanika/datanika/internal/load"
)

func init() {
	load.RegisterSource("postgres", func(ctx context.Context, e load.Endpoint) (load.Source, error) {
		return OpenSource(ctx, e.Config, e.Env)
	})
	load.RegisterDestination("postgres", func(ctx context.Context, e load.Endpoint, schema string) (load.Destination, error) {
		return OpenDestination(ctx, e.Config, e.Env, schema)
	})
}
