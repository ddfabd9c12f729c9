// Package load is the extract-load engine (SPEC §6): the pipeline config and its validation,
// the logical type system and its mapping tables, sources (PostgreSQL, MySQL/MariaDB, SQLite)
// that stream rows in batches, the PostgreSQL destination (binary COPY into staging, then one
// publishing transaction per table for append, replace and merge), incremental state,
// verification, and Run, the entry point the platform and `datanika load` call.
package load
