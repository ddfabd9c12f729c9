// Command profile runs one load (load.Run, as `datanika load` does) under the CPU profiler, to see
// where a benchmark of bench/load/bench.sh spends its time:
//
//	go run ./bench/load/profile -source mysql://root@127.0.0.1:3306/db -destination postgres://postgres@127.0.0.1:5432/db \
//	  -config '{"mode": "single_table", "table": "t", "write_disposition": "replace"}' -cpuprofile /tmp/load.pprof
//	go tool pprof -top /tmp/load.pprof
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/datanika/datanika/internal/load"
	_ "github.com/datanika/datanika/internal/load/myload" // the MySQL/MariaDB source and destination
	_ "github.com/datanika/datanika/internal/load/pgload" // the PostgreSQL source and destination
)

func main() {
	source := flag.String("source", "", "source URL")
	destination := flag.String("destination", "", "destination URL")
	schema := flag.String("destination-schema", "raw", "destination schema")
	config := flag.String("config", "", "pipeline config (JSON)")
	name := flag.String("name", "profile", "pipeline name")
	parallelism := flag.Int("parallelism", 0, "load.Spec.Parallelism (0: the default)")
	cpuprofile := flag.String("cpuprofile", "load.pprof", "where the CPU profile goes")
	flag.Parse()
	if err := run(*source, *destination, *schema, *config, *name, *parallelism, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(1)
	}
}

func run(source, destination, schema, config, name string, parallelism int, cpuprofile string) error {
	cfg, err := load.ParseConfig([]byte(config))
	if err != nil {
		return err
	}
	src, err := load.ParseURL(source)
	if err != nil {
		return err
	}
	dst, err := load.ParseURL(destination)
	if err != nil {
		return err
	}
	f, err := os.Create(cpuprofile) //nolint:gosec // the profile goes where the person running it says
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	res, err := load.Run(context.Background(), load.Spec{Pipeline: name, Source: src, Destination: dst,
		DestinationSchema: schema, Config: cfg, Parallelism: parallelism}, nil, nil)
	pprof.StopCPUProfile()
	fmt.Printf("%s: %d rows in %.2fs\n", res.Status, res.RowsLoaded, res.Seconds)
	return err
}
