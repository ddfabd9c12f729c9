// Command rest is the Go side of bench/rest/bench.sh: `rest serve -records N` serves a local
// paginated REST API (offset pagination, pages of 100, bearer token), and `rest load -api URL
// -destination postgres://…` loads its one resource into PostgreSQL through the load engine, as
// a pipeline over a rest_api connection does, and prints records, seconds and records/s.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/load"
	_ "github.com/datanika/datanika/internal/load/myload" // the MySQL/MariaDB source and destination
	_ "github.com/datanika/datanika/internal/load/pgload" // the PostgreSQL source and destination
)

const token = "bench-token"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rest serve -records N | rest load -api URL -destination URL -records N")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "load":
		err = loadAPI(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-rest:", err)
		os.Exit(1)
	}
}

// record is the benchmark's record i: the load benchmark's columns plus a nested object.
func record(i int) map[string]any {
	return map[string]any{
		"id": i, "name": "name-" + strconv.Itoa(i), "amount": json.Number(fmt.Sprintf("%d.%02d", i%100000, i%100)),
		"updated_at": time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Format(time.RFC3339),
		"flag":       i%2 == 0, "address": map[string]any{"city": "city-" + strconv.Itoa(i%1000), "zip": strconv.Itoa(10000 + i%90000)},
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	records := fs.Int("records", 200000, "records served")
	_ = fs.Parse(args)
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("http://" + ln.Addr().String()) // the script reads the URL
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token || r.URL.Path != "/records" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		page := []any{}
		for i := off + 1; i <= min(off+limit, *records); i++ {
			page = append(page, record(i))
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": page, "total": *records})
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

func loadAPI(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	api := fs.String("api", "", "base URL of `rest serve`")
	destination := fs.String("destination", "", "postgres:// URL of the destination")
	records := fs.Int64("records", 0, "records expected")
	_ = fs.Parse(args)
	dst, err := load.ParseURL(*destination)
	if err != nil {
		return err
	}
	policy, err := egress.New(true, "") // the API is on this machine
	if err != nil {
		return err
	}
	src := load.Endpoint{Type: "rest_api", Env: connectors.Env{Dialer: policy.Dialer(30 * time.Second)}, Config: map[string]any{
		"base_url": *api, "auth": map[string]any{"type": "bearer", "token": token},
		"paginator": map[string]any{"type": "offset", "limit": 100, "total_path": "total"},
		"resources": []any{map[string]any{"name": "records", "path": "/records", "data_selector": "data", "primary_key": "id"}},
	}}
	cfg, err := load.ParseConfig([]byte(`{"write_disposition": "replace"}`))
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := load.Run(context.Background(), load.Spec{Pipeline: "bench_rest", Source: src, Destination: dst,
		DestinationSchema: "bench_rest", Config: cfg}, nil, nil)
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	if res.RowsLoaded != *records {
		return errors.New("loaded " + strconv.FormatInt(res.RowsLoaded, 10) + " records, want " + strconv.FormatInt(*records, 10))
	}
	fmt.Printf("records %d seconds %.2f records_per_second %.0f\n", res.RowsLoaded, secs, float64(res.RowsLoaded)/secs)
	return nil
}
