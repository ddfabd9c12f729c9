// Package dialect owns how each database spells the statements of every materialization:
// identifier quoting, building a view or table under a temporary name and swapping it in,
// incremental strategies and schema-change handling, SCD2 snapshots, seed tables, test and
// freshness queries. It only builds SQL; running it is the engine's job.
package dialect
