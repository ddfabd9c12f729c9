package load_test

// The shared helpers are in internal/load/loadtest/dbtest; the tests here run the sources and
// destinations registered by these packages.
import (
	_ "github.com/datanika/datanika/internal/load/myload" // the MySQL/MariaDB source and destination
	_ "github.com/datanika/datanika/internal/load/pgload" // the PostgreSQL source and destination
)
