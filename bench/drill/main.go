// Command drill is the Go side of bench/drill/drill.sh, the operator's drill of issue #15: a
// busy schedule of incremental appends through `datanika serve`'s API while the metadata
// PostgreSQL is restarted twice, then the checks — every destination table holds each source
// row exactly once, and every run's status and row count match what the destination's record
// says the run published.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/datanika/datanika/bench/internal/benchapi"
)

type options struct {
	api, source, destination string
	pipelines                int
	duration, interval       time.Duration
	outage                   time.Duration
	restart, stop, start     string
}

func main() {
	var o options
	flag.StringVar(&o.api, "api", "", "base URL of the server")
	flag.StringVar(&o.source, "source", "", "postgres:// URL of the source database (tables are created in it)")
	flag.StringVar(&o.destination, "destination", "", "postgres:// URL of the destination database")
	flag.IntVar(&o.pipelines, "pipelines", 6, "incremental append pipelines")
	flag.DurationVar(&o.duration, "duration", 90*time.Second, "how long the schedule runs")
	flag.DurationVar(&o.interval, "interval", 2*time.Second, "each pipeline is triggered this often")
	flag.DurationVar(&o.outage, "outage", 15*time.Second, "how long the second fault keeps the metadata database stopped")
	flag.StringVar(&o.restart, "restart", "", "shell command restarting the metadata PostgreSQL (pg_ctl -m fast restart)")
	flag.StringVar(&o.stop, "stop", "", "shell command stopping it")
	flag.StringVar(&o.start, "start", "", "shell command starting it")
	flag.Parse()
	if err := drill(o); err != nil {
		fmt.Fprintln(os.Stderr, "drill:", err)
		os.Exit(1)
	}
}

func shell(cmd string) error {
	// The commands are the operator's own (drill.sh's pg_ctl lines), not input from elsewhere.
	out, err := exec.CommandContext(context.Background(), "sh", "-c", cmd).CombinedOutput() //nolint:gosec // see above
	if err != nil {
		return fmt.Errorf("%s: %w: %s", cmd, err, out)
	}
	return nil
}

// counters are what the schedule saw, under mu.
type counters struct {
	mu                       sync.Mutex
	triggered, busy, refused int
	runs                     map[int][]int64 // pipeline index → its runs
	rowsInserted             int64
	insertErrors             int
	faults                   []string
}

func drill(o options) error {
	ctx := context.Background()
	src, err := pgxpool.New(ctx, o.source)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := pgxpool.New(ctx, o.destination)
	if err != nil {
		return err
	}
	defer dst.Close()

	c, err := benchapi.SignUp(o.api, 0)
	if err != nil {
		return err
	}
	srcID, err := c.PostgresConnection("drill source", o.source)
	if err != nil {
		return err
	}
	dstID, err := c.PostgresConnection("drill destination", o.destination)
	if err != nil {
		return err
	}
	ids := make([]int64, o.pipelines)
	for k := range o.pipelines {
		if _, err := src.Exec(ctx, fmt.Sprintf(`CREATE TABLE events_%d (id bigserial PRIMARY KEY, payload text NOT NULL)`, k)); err != nil {
			return err
		}
		if _, err := src.Exec(ctx, fmt.Sprintf(`INSERT INTO events_%d (payload) SELECT repeat('x', 100) FROM generate_series(1, 100000)`, k)); err != nil {
			return err
		}
		ids[k], err = c.Pipeline(fmt.Sprintf("drill %d", k), srcID, dstID, "raw", map[string]any{"mode": "single_table",
			"table": fmt.Sprintf("public.events_%d", k), "write_disposition": "append", "incremental": map[string]any{"cursor_path": "id"}})
		if err != nil {
			return err
		}
	}

	st := &counters{runs: map[int][]int64{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// Rows keep arriving: each source table gets a batch every 200 ms, in one transaction, so
	// ids commit in order (the cursor's premise).
	for k := range o.pipelines {
		wg.Go(func() {
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				tag, err := src.Exec(ctx, fmt.Sprintf(`INSERT INTO events_%d (payload) SELECT 'new ' || g FROM generate_series(1, 2000) g`, k))
				st.mu.Lock()
				if err != nil {
					st.insertErrors++
				} else {
					st.rowsInserted += tag.RowsAffected()
				}
				st.mu.Unlock()
			}
		})
	}
	// The schedule: each pipeline triggered every interval; 409 (a run still active) is the
	// schedule's "skip", and a refusal while the metadata database is down is counted.
	for k := range o.pipelines {
		wg.Go(func() {
			t := time.NewTicker(o.interval)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				r, _, err := c.Trigger(ids[k])
				st.mu.Lock()
				switch {
				case err == nil:
					st.triggered++
					st.runs[k] = append(st.runs[k], r.ID)
				case benchapi.IsStatus(err, 409):
					st.busy++
				default:
					st.refused++
				}
				st.mu.Unlock()
			}
		})
	}
	// The faults: a fast restart at a third, a stop of o.outage at two thirds.
	var faultErr error
	wg.Go(func() {
		third := o.duration / 3
		select {
		case <-stop:
			return
		case <-time.After(third):
		}
		at := time.Now()
		if err := shell(o.restart); err != nil {
			faultErr = err
			return
		}
		st.mu.Lock()
		st.faults = append(st.faults, fmt.Sprintf("fast restart (%.1f s)", time.Since(at).Seconds()))
		st.mu.Unlock()
		select {
		case <-stop:
			return
		case <-time.After(third):
		}
		at = time.Now()
		if err := shell(o.stop); err != nil {
			faultErr = err
			return
		}
		time.Sleep(o.outage)
		if err := shell(o.start); err != nil {
			faultErr = err
			return
		}
		st.mu.Lock()
		st.faults = append(st.faults, fmt.Sprintf("stopped for %.1f s", time.Since(at).Seconds()))
		st.mu.Unlock()
	})
	time.Sleep(o.duration)
	close(stop)
	wg.Wait()
	if faultErr != nil {
		return faultErr
	}

	// Every run ends (a run left without an ending by the outage is settled within the
	// heartbeat timeout); then one last run per pipeline takes what arrived since.
	var all []int64
	for k := range o.pipelines {
		all = append(all, st.runs[k]...)
	}
	for _, id := range all {
		if _, err := c.Wait(id, 5*time.Minute); err != nil {
			return err
		}
	}
	for k := range o.pipelines {
		r, _, err := c.Trigger(ids[k])
		if err != nil {
			return fmt.Errorf("the last trigger of pipeline %d: %w", k, err)
		}
		if _, err := c.Wait(r.ID, 5*time.Minute); err != nil {
			return err
		}
		st.runs[k] = append(st.runs[k], r.ID)
	}

	// The checks.
	var problems []string
	statuses := map[string]int{}
	settled := 0
	for k := range o.pipelines {
		var srcRows, dstRows, dstDistinct int64
		if err := src.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM events_%d", k)).Scan(&srcRows); err != nil {
			return err
		}
		if err := dst.QueryRow(ctx, fmt.Sprintf("SELECT count(*), count(DISTINCT id) FROM raw.events_%d", k)).Scan(&dstRows, &dstDistinct); err != nil {
			return err
		}
		if dstRows != srcRows || dstDistinct != srcRows {
			problems = append(problems, fmt.Sprintf("pipeline %d: the source has %d rows, the destination %d (%d distinct)", k, srcRows, dstRows, dstDistinct))
		}
		for _, id := range st.runs[k] {
			r, err := c.Get(id)
			if err != nil {
				return err
			}
			statuses[r.Status]++
			var published int64
			var entries int
			if err := dst.QueryRow(ctx, "SELECT count(*), coalesce(sum(rows_written), 0) FROM raw._dnk_loads WHERE attempt = $1",
				fmt.Sprintf("run-%d", id)).Scan(&entries, &published); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			switch {
			case r.Status == "success" && published != r.RowsLoaded:
				problems = append(problems, fmt.Sprintf("run %d: success with %d rows, its destination's record says %d", id, r.RowsLoaded, published))
			case r.Status != "success" && entries > 0:
				problems = append(problems, fmt.Sprintf("run %d: %s (%s), but its destination's record says it published %d rows", id, r.Status, r.Error, published))
			}
			if r.Status == "success" && r.Error == "" && entries > 0 && wasSettled(ctx, c, id) {
				settled++
			}
		}
	}
	keys := make([]string, 0, len(statuses))
	for s := range statuses {
		keys = append(keys, s)
	}
	sort.Strings(keys)
	fmt.Printf("drill: %d pipelines for %s, a trigger each every %s; faults: %v\n", o.pipelines, o.duration, o.interval, st.faults)
	fmt.Printf("drill: triggers accepted %d, skipped as busy (409) %d, refused during the faults %d; rows inserted meanwhile %d (insert errors %d)\n",
		st.triggered, st.busy, st.refused, st.rowsInserted, st.insertErrors)
	fmt.Printf("drill: runs by status:")
	for _, s := range keys {
		fmt.Printf(" %s %d", s, statuses[s])
	}
	fmt.Printf("; settled from the destination's record %d\n", settled)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Println("drill: FAIL", p)
		}
		return fmt.Errorf("%d problems", len(problems))
	}
	fmt.Println("drill: PASS — every destination table holds each source row exactly once; every run's status and rows match its destination's record")
	return nil
}

// wasSettled reports whether the run's log says it was settled from its destination's record.
func wasSettled(_ context.Context, c *benchapi.Client, id int64) bool {
	var page struct {
		Items []struct {
			Message string `json:"message"`
		} `json:"items"`
	}
	if _, err := c.Do("GET", fmt.Sprintf("/api/v1/runs/%d/logs?limit=500", id), nil, &page); err != nil {
		return false
	}
	for _, l := range page.Items {
		if strings.HasPrefix(l.Message, "run succeeded: its tables were published") {
			return true
		}
	}
	return false
}
