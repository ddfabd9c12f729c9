package load

import (
	"context"
	"errors"
)

// TablePlan is what a destination needs to load one table.
type TablePlan struct {
	Source *Table
	// Name is the destination table; Columns the destination column names, in the order of
	// Source.Columns.
	Name    string
	Columns []string
	// Disposition is append, replace or merge for this table.
	Disposition string
	// Keys are the destination merge keys; PrimaryKey the source's key, mapped.
	Keys       []string
	PrimaryKey []string
	// KeysUnique says the source's own primary key lies within Keys: no two rows read share a
	// merge key, so merge need not look for duplicates to resolve.
	KeysUnique bool
	RunID      string
	Contract   SchemaContract
}

// Publication is what a publishing transaction does besides the data.
type Publication struct {
	// State, when not nil, is written in the same transaction as the data.
	State *StateEntry
	// ExpectRows, when >= 0, must equal the rows staged (verify=count); otherwise the run fails
	// and nothing is published.
	ExpectRows int64
	// ExpectChecksum, when not nil, must equal the checksum of the staged rows.
	ExpectChecksum *Checksum
	// Staged is the row count the destination server reported for the COPYs into staging;
	// verify=count compares it with ExpectRows.
	Staged int64
	// Rejected are written to <schema>._dnk_rejected in the same transaction.
	Rejected []Rejected
	// Ledger, when not nil, records the publication in <schema>._dnk_loads in the same
	// transaction, so whoever finds a run without an ending can ask the destination what it
	// published (see PublishedTables).
	Ledger *LedgerEntry
}

// LedgerTable records, per run and table, what a destination published.
const LedgerTable = "_dnk_loads"

// LedgerEntry is one table's publication by one run (the run id and table come from the plan).
type LedgerEntry struct {
	Pipeline string
	// Attempt names the run that published (Spec.Attempt): retries publish under the run id
	// of their chain's first run, so the run id alone cannot tell which of them it was.
	Attempt string
	// Cursor is the incremental state published with the rows ("" without one).
	Cursor string
}

// ledgerReader is implemented by destinations that keep the ledger.
type ledgerReader interface {
	// Published returns the rows each table published by attempt, from the ledger.
	Published(ctx context.Context, attempt string) (map[string]int64, error)
}

// StateEntry is the incremental state of one table of one pipeline.
type StateEntry struct {
	Pipeline string
	Table    string
	Value    string
}

// Published says what publishing did.
type Published struct {
	RowsWritten int64
	// AlreadyPublished is true when a retry found this run's rows already there.
	AlreadyPublished bool
}

// Destination writes tables.
type Destination interface {
	// Begin checks the plan against the destination (schema contract) and prepares staging.
	// Nothing visible to readers changes until Publish.
	Begin(ctx context.Context, plan *TablePlan) (TableLoad, error)
	// State reads the stored incremental state, when the destination keeps it.
	State(ctx context.Context, pipeline, table string) (string, bool, error)
	Close() error
}

// TableLoad is one table's load in progress.
type TableLoad interface {
	// Copy bulk-loads batches into staging until next returns nil.
	Copy(ctx context.Context, next func() (*Batch, error)) (int64, error)
	// Publish makes the staged rows visible in one transaction, with the state.
	Publish(ctx context.Context, p Publication) (Published, error)
	// Abort drops staging; the destination is as before Begin.
	Abort()
}

// ErrContract is the error of a load that the schema contract forbids.
var ErrContract = errors.New("schema contract")

// ErrVerify is the error of a load whose parity check failed.
var ErrVerify = errors.New("verify failed")
