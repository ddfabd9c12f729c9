// Package myload is the load engine's MySQL and MariaDB system: the source (one connection
// inside a consistent snapshot, parallel key ranges over more of them), the destination (LOAD
// DATA or INSERT into staging, then one publishing transaction per table, its DDL and merge)
// and what the PostgreSQL destination's COPY text path needs from the source
// (load.MySQLTextSource). It registers both with package load when linked: whatever runs loads
// (internal/run, cmd/datanika) imports it.
package myload

import (
	"context"

	"github.com/datanika/datanika/internal/load"
)

func init() {
	load.RegisterSource("mysql", func(ctx context.Context, e load.Endpoint) (load.Source, error) {
		return OpenSource(ctx, e.Config, e.Env)
	})
	load.RegisterDestination("mysql", func(ctx context.Context, e load.Endpoint, schema string) (load.Destination, error) {
		return OpenDestination(ctx, e.Config, e.Env, schema)
	})
}
