package myload

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/datanika/datanika/internal/load"

	driver "github.com/go-sql-driver/mysql"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/testutil"
)

// BenchmarkMySQLDestination_LoadDataVersusInsert loads 200,000 rows of benchmark (a)'s shape
// (id bigint primary key, name text, amount decimal(12,2), updated_at datetime(6), flag bool)
// into MariaDB with replace, by each bulk path: the figures and the choice are in
// docs/architecture.md ("MySQL destination"). Run with -benchtime=3x.
func BenchmarkMySQLDestination_LoadDataVersusInsert(b *testing.B) {
	dsn := testutil.MySQLDSN(b)
	mc, err := driver.ParseDSN(dsn)
	if err != nil {
		b.Fatal(err)
	}
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = admin.Close() }()
	const schema = "dnk_bench_mysql_destination"
	defer func() { _, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+schema) }()
	host, port, _ := net.SplitHostPort(mc.Addr)
	p, _ := strconv.Atoi(port)
	config := map[string]any{"host": host, "port": p, "user": mc.User, "tls": "false"}
	if mc.Passwd != "" {
		config["password"] = mc.Passwd
	}

	cols := []load.Column{{Name: "id", Type: load.Type{Kind: load.KindInt64}}, {Name: "name", Type: load.Type{Kind: load.KindText}},
		{Name: "amount", Type: load.Type{Kind: load.KindDecimal, Precision: 12, Scale: 2}}, {Name: "updated_at", Type: load.Type{Kind: load.KindTimestampTZ}},
		{Name: "flag", Type: load.Type{Kind: load.KindBool}}}
	const rows, batchSize = 200_000, 50_000
	var batches []*load.Batch
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < rows; i += batchSize {
		bt := load.NewBatch(cols, batchSize)
		for j := i; j < i+batchSize; j++ {
			r := bt.Next()
			amount, _ := load.ParseNumeric(fmt.Sprintf("%d.%02d", j%100000, j%100))
			r[0], r[1], r[2], r[3], r[4] = int64(j+1), fmt.Sprintf("name %d", j+1), amount, start.Add(time.Duration(j)*time.Second+123456*time.Microsecond), j%2 == 0
			bt.Bytes += 50
		}
		batches = append(batches, bt)
	}
	for _, method := range []string{"load_data", "insert"} {
		b.Run(method, func(b *testing.B) {
			mysqlForceInsert = method == "insert"
			defer func() { mysqlForceInsert = false }()
			for i := range b.N {
				dst, err := OpenDestination(context.Background(), config, connectors.Env{}, schema)
				if err != nil {
					b.Fatal(err)
				}
				plan := &load.TablePlan{Source: &load.Table{Name: "bench", Columns: cols, PrimaryKey: []string{"id"}}, Name: "bench",
					Columns: []string{"id", "name", "amount", "updated_at", "flag"}, Disposition: load.Replace, PrimaryKey: []string{"id"},
					RunID: fmt.Sprintf("bench-%s-%d", method, i), Contract: load.SchemaContract{Tables: load.ContractEvolve, Columns: load.ContractEvolve, DataType: load.ContractEvolve}}
				tl, err := dst.Begin(context.Background(), plan)
				if err != nil {
					b.Fatal(err)
				}
				k := 0
				n, err := tl.Copy(context.Background(), func() (*load.Batch, error) {
					if k == len(batches) {
						return nil, nil
					}
					k++
					return batches[k-1], nil
				})
				if err != nil || n != rows {
					b.Fatal(n, err)
				}
				if _, err := tl.Publish(context.Background(), load.Publication{ExpectRows: rows, Staged: n}); err != nil {
					b.Fatal(err)
				}
				_ = dst.Close()
			}
		})
	}
}
