// Package transform is the dbt-compatible transform engine: it takes a project (package
// project), renders its Jinja with the dbt context (package jinja, macros from package
// builtin), orders it (package graph) and compiles and runs every node with the SQL of the
// target's dialect (package dialect) — views, tables, ephemeral CTEs, incremental models,
// snapshots, seeds, tests and source freshness — in DAG order, in parallel up to a thread count.
package transform
