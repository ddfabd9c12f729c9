package load

// ForcePostgresLegacyMerge makes PostgreSQL merges take the path of servers before 15 (UPDATE
// then INSERT instead of MERGE). Only for tests that do not run in parallel.
func ForcePostgresLegacyMerge(on bool) { pgLegacyMerge = on }

// MySQLTextCopies counts the tables copied from MySQL to PostgreSQL as COPY text.
func MySQLTextCopies() int64 { return mysqlTextCopies.Load() }

// SetTestHooks wraps the source and the destination of the loads that follow (nil: none).
// Only for tests that do not run in parallel.
func SetTestHooks(src func(Source) Source, dst func(Destination) Destination) {
	testHooks.source, testHooks.destination = src, dst
}

// ForceNoDeltaMerge turns delta merges off (merge_delta_postgres.go). Only for tests that do not
// run in parallel.
func ForceNoDeltaMerge(on bool) { noDeltaMerge = on }

// DeltaMerges counts the merges staged as deltas.
func DeltaMerges() int64 { return deltaMerges.Load() }
