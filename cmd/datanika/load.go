package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/datanika/datanika/internal/load"
	_ "github.com/datanika/datanika/internal/load/myload" // the MySQL/MariaDB source and destination
	_ "github.com/datanika/datanika/internal/load/pgload" // the PostgreSQL source and destination
)

const loadUsage = `Usage: datanika load --source URL --destination URL --name NAME [--destination-schema raw]
       [--config JSON|@file] [--full-refresh] [--output text|json] [--progress] [--parallelism N]

Sources: postgres://USER[:PASSWORD]@HOST:5432/DB, mysql://USER[:PASSWORD]@HOST:3306/DB, sqlite:///PATH,
sqlserver://USER[:PASSWORD]@HOST:1433/DB, file:///PATH (a csv, tsv, jsonl, json or parquet file, gzip
or not; ?format=… when the name does not say; config.files sets the dialect).
Destinations: postgres://…, mysql://…, sqlserver://…, clickhouse://USER[:PASSWORD]@HOST:9440/DB[?secure=false],
snowflake://USER[:PASSWORD]@ACCOUNT/DB[/SCHEMA]?warehouse=…&role=…,
redshift://USER[:PASSWORD]@HOST:5439/DB?s3_bucket=…&s3_prefix=…&iam_role=…&region=… (rows are staged
in S3; keys from s3_access_key_id/s3_secret_access_key or the AWS_* environment).
--config takes the pipeline config (mode, table, write_disposition, incremental, filters…);
incremental state is kept in the destination's <schema>._dnk_state. On a mysql destination the
schema is a database, created when missing.
--progress prints "progress <schema.table> <rows read> rows" to stderr as batches are copied.
--parallelism N reads big tables with an integer primary key in N key ranges at once (0: automatic,
1: never).
`

// cmdLoad extracts tables from a source and loads them into a destination (the load engine,
// without the platform around it).
func cmdLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	source := fs.String("source", "", "URL of the source")
	destination := fs.String("destination", "", "URL of the destination (postgres://, mysql://, sqlserver://, clickhouse://, snowflake:// or redshift://)")
	name := fs.String("name", "", "pipeline name; incremental state is kept under it")
	schema := fs.String("destination-schema", "raw", "schema the tables are loaded into")
	configArg := fs.String("config", "", "pipeline config as JSON, or @file")
	fullRefresh := fs.Bool("full-refresh", false, "reload every table whole and reset incremental state")
	output := fs.String("output", "text", "text or json")
	showProgress := fs.Bool("progress", false, "print a line to stderr as rows are read: progress <schema.table> <rows> rows")
	parallelism := fs.Int("parallelism", 0, "key ranges read at once for big tables (0: automatic, 1: never)")
	fail := func(code int, format string, a ...any) int {
		msg := strings.Join(strings.Fields(fmt.Sprintf(format, a...)), " ")
		fmt.Fprintf(stderr, "datanika load: %s\n", msg)
		return code
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, loadUsage)
			return exitOK
		}
		return fail(exitUsage, "%v (see datanika load --help)", err)
	}
	switch {
	case fs.NArg() > 0:
		return fail(exitUsage, "unexpected argument %q", fs.Arg(0))
	case *source == "":
		return fail(exitUsage, "--source is required")
	case *destination == "":
		return fail(exitUsage, "--destination is required")
	case strings.TrimSpace(*name) == "":
		return fail(exitUsage, "--name is required")
	case *output != "text" && *output != "json":
		return fail(exitUsage, "--output must be text or json")
	case strings.TrimSpace(*schema) == "":
		return fail(exitUsage, "--destination-schema must not be empty")
	case *parallelism < 0 || *parallelism > 64:
		return fail(exitUsage, "--parallelism must be between 0 and 64")
	}
	raw := []byte(*configArg)
	if strings.HasPrefix(*configArg, "@") {
		b, err := os.ReadFile(strings.TrimPrefix(*configArg, "@"))
		if err != nil {
			return fail(exitUsage, "--config: %v", err)
		}
		raw = b
	}
	cfg, err := load.ParseConfig(raw)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	src, err := load.ParseURL(*source)
	if err != nil {
		return fail(exitUsage, "--source: %v", err)
	}
	dst, err := load.ParseURL(*destination)
	if err != nil {
		return fail(exitUsage, "--destination: %v", err)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var progress func(load.Progress)
	if *showProgress {
		var mu sync.Mutex
		progress = func(p load.Progress) {
			mu.Lock()
			defer mu.Unlock()
			state := "rows"
			if p.Done {
				state = "rows, done"
			}
			fmt.Fprintf(stderr, "progress %s.%s %d %s\n", *schema, p.Table, p.RowsRead, state)
		}
	}
	res, err := load.Run(ctx, load.Spec{Pipeline: *name, Source: src, Destination: dst, DestinationSchema: *schema,
		Config: cfg, FullRefresh: *fullRefresh, Parallelism: *parallelism}, nil, progress)
	if *output == "json" {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
	} else {
		for _, t := range res.Tables {
			fmt.Fprintf(stdout, "%-40s read %10d  written %10d  rejected %6d  %8.2fs\n", *schema+"."+t.Name,
				t.RowsRead, t.RowsWritten, t.RowsRejected, t.Seconds)
		}
		fmt.Fprintf(stdout, "%s: %d rows loaded in %.2fs\n", res.Status, res.RowsLoaded, res.Seconds)
	}
	if err != nil {
		if ctx.Err() != nil {
			return fail(exitFailure, "cancelled: %v", err)
		}
		return fail(exitFailure, "%v", err)
	}
	return exitOK
}
