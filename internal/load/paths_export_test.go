package load

// MySQLTextCopies counts the tables copied from MySQL to PostgreSQL as COPY text.
func MySQLTextCopies() int64 { return fastCopyCount("mysql_text") }

// SetTestHooks wraps the source and the destination of the loads that follow (nil: none).
// Only for tests that do not run in parallel.
func SetTestHooks(src func(Source) Source, dst func(Destination) Destination) {
	testHooks.source, testHooks.destination = src, dst
}
