// Package graph owns the DAG of a dbt project: edges from ref() and source(), topological order,
// cycle detection that names the cycle, and dbt's node selection syntax.
package graph
