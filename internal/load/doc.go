// Package load is the extract-load engine (SPEC §6): the pipeline config and its validation,
// the logical type system and its mapping tables, the Source and Destination contracts and the
// registry that opens them, incremental state, the schema contract, verification, and Run, the
// entry point the platform and `datanika load` call. It also holds the sources that have no
// package of their own: SQLite, SQL Server, files, S3 objects and REST APIs.
//
// Each database system's load code has one home, a package beside this one that imports it
// and registers with it when linked: pgload (PostgreSQL), myload (MySQL/MariaDB), sqlgen (the
// SQL of SQL Server, Redshift, Snowflake, ClickHouse and BigQuery) and bqload (BigQuery's
// client). This package exports to them only what a source or destination needs — the Table,
// Window and TablePlan they receive, the schema contract's ContractCheck, the WHERE builder,
// the staging names, key ranges (RangeSource, PlanRanges, RunRanges) — each documented where
// it is declared. A fast path between two systems belongs to the destination's side: the
// destination's TableLoad implements FastCopier and picks its path by a capability the source
// implements (MySQLTextSource, CopyTextSource, CopyBinarySource), never by another package's concrete type.
//
// File names: <concern>_<system>.go, the concern first (source_sqlite.go, csv_file.go,
// copytext_file.go, flatten_rest.go); tests follow their file (source_file_test.go), and an
// end-to-end test of a path between two systems names both, source first
// (copy_mysql_postgres_test.go, fidelity_mysql_test.go). Inside a system's own package the
// package names the system and the suffix is dropped (pgload/merge.go, myload/bulk.go); a path
// from another system names that system (pgload/copy_mysql.go: MySQL into PostgreSQL).
package load
