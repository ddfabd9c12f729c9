package load

// FileTextCopies counts the tables copied from CSV and TSV files to PostgreSQL as COPY text.
func FileTextCopies() int64 { return fileTextCopies.Load() }

// ParquetBinaryCopies counts the tables copied from parquet files to PostgreSQL as binary COPY.
func ParquetBinaryCopies() int64 { return parquetBinaryCopies.Load() }
