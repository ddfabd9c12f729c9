// Package db holds the metadata database's schema: the golang-migrate migrations embedded in the
// binary, the sqlc queries, and (in dbgen) the code sqlc generates from them.
package db

import "embed"

// Migrations are the golang-migrate files (NNNNNN_name.up.sql / .down.sql).
//
//go:embed migrations/*.sql
var Migrations embed.FS
