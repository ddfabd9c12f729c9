package testutil

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	// The MariaDB/MySQL driver, for connector tests.
	_ "github.com/go-sql-driver/mysql"
)

// DefaultMySQLDSN is used when TEST_MYSQL_URL is not set: the local MariaDB as root.
const DefaultMySQLDSN = "root@tcp(127.0.0.1:3306)/"

// MySQLDSN returns a go-sql-driver DSN of a MariaDB/MySQL server for connector tests. TEST_MYSQL_URL
// takes a DSN ("user:pass@tcp(host:port)/"). When no server answers, the test is skipped with a
// loud message — except under CI (CI=true), where a missing server fails the test, since CI always
// provides one.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("TEST_MYSQL_URL")
	if dsn == "" {
		dsn = DefaultMySQLDSN
	}
	db, err := sql.Open("mysql", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		_ = db.Close()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("MariaDB/MySQL is required in CI but not reachable (TEST_MYSQL_URL): %v", err)
		}
		t.Skipf("SKIPPED — NO MARIADB/MYSQL: connector tests need a server (set TEST_MYSQL_URL); %v", err)
	}
	return dsn
}
