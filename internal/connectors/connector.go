package connectors

import (
	"context"
	"net"
	"time"
)

// Timeouts and limits shared by every connector, so users meet the same rules everywhere.
const (
	// TestTimeout bounds a connection test, dial and authentication included.
	TestTimeout = 10 * time.Second
	// StatementTimeout bounds one read-only query on the database side.
	StatementTimeout = 30 * time.Second
	// DefaultRowLimit is the row cap of a query when the caller asks for none.
	DefaultRowLimit = 1000
	// MaxRowLimit is the largest row cap a caller may ask for.
	MaxRowLimit = 10000
)

// Connector is what every available type opens. It holds a config, not a connection: each
// call connects, does its work and disconnects, so nothing is left open between calls.
// Connectors of SQL types also implement Cataloger and Querier.
type Connector interface {
	Tester
}

// Tester makes a real round trip to the system (SELECT 1, list a bucket, one GET).
type Tester interface {
	// Test answers within TestTimeout (or ctx's deadline, if sooner). It never fails: a
	// failure is a Result with OK false and a message free of secrets.
	Test(ctx context.Context) Result
}

// Result is the answer of a connection test.
type Result struct {
	OK        bool   `json:"ok"`
	Message   string `json:"message"`
	LatencyMS int64  `json:"latency_ms"`
}

// Cataloger lists what a database holds.
type Cataloger interface {
	// Catalog returns the user schemas (system schemas left out), their tables and views, and
	// their columns in ordinal order.
	Catalog(ctx context.Context) ([]Schema, error)
}

// Schema is one namespace of a database.
type Schema struct {
	Name   string  `json:"name"`
	Tables []Table `json:"tables"`
}

// Table is a table or a view.
type Table struct {
	Name string `json:"name"`
	// Kind is "table" or "view".
	Kind    string   `json:"kind"`
	Columns []Column `json:"columns"`
}

// Table kinds.
const (
	KindTable = "table"
	KindView  = "view"
)

// Column is one column of a table, with its type as the database spells it.
type Column struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Nullable   bool   `json:"nullable"`
	PrimaryKey bool   `json:"primary_key"`
}

// Querier runs one statement that may only read.
type Querier interface {
	// Query runs sql in a read-only transaction with StatementTimeout, returning at most
	// limit rows (DefaultRowLimit when limit <= 0, never more than MaxRowLimit). Writes and
	// DDL are refused by the database itself; so is more than one statement. Error messages
	// come from the database, with secrets scrubbed.
	Query(ctx context.Context, sql string, limit int) (QueryResult, error)
}

// QueryResult holds rows as JSON-friendly values (see JSONValue).
type QueryResult struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
	// Truncated says the statement had more rows than the limit.
	Truncated bool `json:"truncated"`
}

// RowLimit returns the row cap to apply for a requested limit.
func RowLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultRowLimit
	case limit > MaxRowLimit:
		return MaxRowLimit
	default:
		return limit
	}
}

// Dialer opens network connections. Every connector dials through the Env's Dialer so that the
// egress policy (which hosts users may reach) is enforced in one place, at dial time.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// FileResolver returns the local path of an uploaded file of the context's org. Connectors of
// file-based types never take a path from users, only a file id resolved through it.
type FileResolver func(ctx context.Context, fileID int64) (path string, err error)

// Env is what the host program lends to connectors.
type Env struct {
	// Dialer defaults to DefaultDialer.
	Dialer Dialer
	// Files resolves uploaded files; file-based types fail without it.
	Files FileResolver
}

// DialerOrDefault returns the Env's Dialer, or DefaultDialer when none is set.
func (e Env) DialerOrDefault() Dialer {
	if e.Dialer != nil {
		return e.Dialer
	}
	return DefaultDialer()
}

// DefaultDialer is a plain dialer with a connect timeout, for when no policy is plugged in.
func DefaultDialer() Dialer {
	return &net.Dialer{Timeout: TestTimeout, KeepAlive: 30 * time.Second}
}
