package myload_test

// The shared helpers are in internal/load/loadtest/dbtest; the tests here also run the
// PostgreSQL source and destination.
import _ "github.com/datanika/datanika/internal/load/pgload" // the PostgreSQL source and destination
