package load

import "sync/atomic"

// FileTextCopies counts the tables copied from CSV and TSV files to PostgreSQL as COPY text.
func FileTextCopies() int64 { return fastCopyCount("file_text") }

// fastCopyCount is how many tables the fast path named path took.
func fastCopyCount(path string) int64 {
	n, ok := fastCopies.Load(path)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

// ParquetBinaryCopies counts the tables copied from parquet files to PostgreSQL as binary COPY.
func ParquetBinaryCopies() int64 { return fastCopyCount("file_binary") }

// MySQLTextCopies counts the tables copied from MySQL to PostgreSQL as COPY text.
func MySQLTextCopies() int64 { return fastCopyCount("mysql_text") }

// SetTestHooks wraps the source and the destination of the loads that follow (nil: none).
// Only for tests that do not run in parallel.
func SetTestHooks(src func(Source) Source, dst func(Destination) Destination) {
	testHooks.source, testHooks.destination = src, dst
}
