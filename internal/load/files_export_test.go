package load

// FileTextCopies counts the tables copied from CSV and TSV files to PostgreSQL as COPY text.
func FileTextCopies() int64 { return fileTextCopies.Load() }
