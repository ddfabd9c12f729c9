// Command filegen writes the load benchmark's rows — (id bigint, name text, amount
// numeric(12,2), updated_at timestamptz, flag bool), the values bench/load/bench.sh generates in
// PostgreSQL — as a CSV file (as psql's \copy … CSV HEADER writes them) and as a parquet file
// (decimal(12,2), timestamp(micros, utc)), for bench/load/files.sh.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
)

type row struct {
	ID        int64     `parquet:"id"`
	Name      string    `parquet:"name"`
	Amount    int64     `parquet:"amount,decimal(2:12)"`
	UpdatedAt time.Time `parquet:"updated_at,timestamp(microsecond)"`
	Flag      bool      `parquet:"flag"`
}

func gen(g int64) row {
	return row{ID: g, Name: "customer " + strconv.FormatInt(g%1000, 10), Amount: g % 100000,
		UpdatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g) * time.Second), Flag: g%2 == 0}
}

func main() {
	rows := flag.Int64("rows", 2_000_000, "rows to write")
	csvPath := flag.String("csv", "", "the CSV file to write")
	pqPath := flag.String("parquet", "", "the parquet file to write")
	flag.Parse()
	if err := run(*rows, *csvPath, *pqPath); err != nil {
		fmt.Fprintln(os.Stderr, "filegen:", err)
		os.Exit(1)
	}
}

func run(n int64, csvPath, pqPath string) error {
	if csvPath != "" {
		f, err := os.Create(csvPath) //nolint:gosec // the path its user gave
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fmt.Fprintln(w, "id,name,amount,updated_at,flag")
		for g := int64(1); g <= n; g++ {
			r := gen(g)
			flag := "f"
			if r.Flag {
				flag = "t"
			}
			fmt.Fprintf(w, "%d,%s,%d.%02d,%s,%s\n", r.ID, r.Name, r.Amount/100, r.Amount%100,
				r.UpdatedAt.Format("2006-01-02 15:04:05+00"), flag)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if pqPath != "" {
		f, err := os.Create(pqPath) //nolint:gosec // the path its user gave
		if err != nil {
			return err
		}
		w := parquet.NewGenericWriter[row](f, parquet.MaxRowsPerRowGroup(250_000))
		buf := make([]row, 0, 10_000)
		for g := int64(1); g <= n; g++ {
			buf = append(buf, gen(g))
			if len(buf) == cap(buf) || g == n {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
		return f.Close()
	}
	return nil
}
