package transform

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/datanika/datanika/internal/transform/project"
)

// MaxPreviewRows caps a preview whatever the caller asks.
const MaxPreviewRows = 1000

// Preview runs a model's compiled query in a read-only transaction, rolled back, returning at
// most limit rows (capped at MaxPreviewRows). It never builds anything.
func (e *Engine) Preview(ctx context.Context, db *sql.DB, id string, limit int) ([]map[string]any, error) {
	n, ok := e.nodes[id]
	if !ok || (n.ResourceType != project.Model && n.ResourceType != project.Snapshot && n.ResourceType != project.Test) {
		return nil, fmt.Errorf("no model %s to preview", id)
	}
	if limit <= 0 || limit > MaxPreviewRows {
		limit = MaxPreviewRows
	}
	compiled, err := e.compile(ctx, n, dbCatalog{q: db, d: e.d})
	if err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("begin a read-only transaction: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	return queryRows(ctx, tx, e.d.Limit(compiled, limit))
}

// PreviewTable is Preview with the columns in the query's order and the rows as lists: the
// compiled query runs in a read-only transaction, rolled back, limited to limit rows (capped
// at MaxPreviewRows).
func (e *Engine) PreviewTable(ctx context.Context, db *sql.DB, id string, limit int) ([]string, [][]any, error) {
	n, ok := e.nodes[id]
	if !ok || (n.ResourceType != project.Model && n.ResourceType != project.Snapshot && n.ResourceType != project.Test) {
		return nil, nil, fmt.Errorf("no model %s to preview", id)
	}
	if n.err != nil {
		return nil, nil, n.err
	}
	if limit <= 0 || limit > MaxPreviewRows {
		limit = MaxPreviewRows
	}
	compiled, err := e.compile(ctx, n, dbCatalog{q: db, d: e.d})
	if err != nil {
		return nil, nil, err
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("begin a read-only transaction: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	cols, rows, err := dbCatalog{q: tx, d: e.d}.Query(ctx, e.d.Limit(compiled, limit))
	if err != nil {
		return nil, nil, &SQLError{Err: err, SQL: compiled}
	}
	return cols, rows, nil
}

// RelationOf is where a model, seed or snapshot is built (schema and name), and whether it is
// ephemeral (inlined, never built).
func (e *Engine) RelationOf(id string) (schema, name string, ephemeral, ok bool) {
	n, found := e.nodes[id]
	if !found || n.ResourceType == project.Source {
		return "", "", false, false
	}
	r := n.relation(e.d)
	return r.Schema, r.Identifier, r.cte != "", true
}
