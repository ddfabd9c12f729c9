// Package load is the extract-load engine (SPEC §6): the pipeline config and its validation,
// the logical type system and its mapping tables, the Source and Destination contracts and the
// registry that opens them, incremental state, the schema contract, verification, and Run, the
// entry point the platform and `datanika load` call. It holds the systems that have no package
// of their own yet: the PostgreSQL source and destination (binary COPY into staging, then one
// publishing transaction per table for append, replace and merge), SQLite, SQL Server as a
// source, and the file, S3 and REST sources.
//
// Each other system's load code has one home, a package beside this one that imports it and
// registers with it when linked: myload (MySQL/MariaDB), sqlgen (the SQL of SQL Server,
// Redshift, Snowflake, ClickHouse and BigQuery) and bqload (BigQuery's client). This package
// exports to them only what a source or destination needs (the Table, Window and TablePlan
// they receive, the schema contract's ContractCheck, the WHERE builder, the staging names,
// RangeSource); a fast path between two systems belongs to the destination's side and is
// chosen by a capability interface the source implements (MySQLTextSource), never by the
// source's concrete type.
//
// File names: <concern>_<system>.go, the concern first (source_sqlite.go, copy_postgres.go,
// merge_postgres.go; a path between two systems names both, source first:
// copy_mysql_postgres.go); tests follow their file. Inside a system's own package the
// package names the system and the suffix is dropped (myload/source.go, myload/bulk.go).
package load
