// Command runs is the Go side of bench/runs/bench.sh: it drives a running `datanika serve`
// through its API as users would, and reads run timestamps from its metadata database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/bench/internal/benchapi"
)

func main() {
	api := flag.String("api", "", "base URL of the server")
	meta := flag.String("meta", "", "metadata database URL (read-only use: run timestamps, River jobs)")
	source := flag.String("source", "", "postgres://user@host:port/db of the source (a table public.tiny)")
	destination := flag.String("destination", "", "postgres://user@host:port/db of the destination")
	runs := flag.Int("runs", 100, "runs of the latency benchmark")
	limit := flag.Int("limit", 3, "ORG_MAX_CONCURRENT_RUNS the server runs with")
	flag.Parse()
	if err := run(*api, *meta, *source, *destination, *runs, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "bench-runs:", err)
		os.Exit(1)
	}
}

// org signs up a user with an org and creates the two connections.
func org(base string, i int, source, destination string) (*benchapi.Client, int64, int64, error) {
	c, err := benchapi.SignUp(base, i)
	if err != nil {
		return nil, 0, 0, err
	}
	src, err := c.PostgresConnection("source", source)
	if err != nil {
		return nil, 0, 0, err
	}
	dst, err := c.PostgresConnection("destination", destination)
	return c, src, dst, err
}

var tiny = map[string]any{"mode": "single_table", "table": "public.tiny", "write_disposition": "replace"}

func run(base, meta, source, destination string, runs, limit int) error {
	ctx := context.Background()
	db, err := pgx.Connect(ctx, meta)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close(ctx) }()

	// 1. Latency, one run at a time.
	c, src, dst, err := org(base, 0, source, destination)
	if err != nil {
		return err
	}
	p, err := c.Pipeline("latency", src, dst, "", tiny)
	if err != nil {
		return err
	}
	var lat []time.Duration
	for range runs {
		r, answered, err := c.Trigger(p)
		if err != nil {
			return err
		}
		done, err := c.Wait(r.ID, time.Minute)
		if err != nil {
			return err
		}
		if done.Status != "success" {
			return fmt.Errorf("run %d ended %s: %s", r.ID, done.Status, done.Error)
		}
		var started time.Time
		if err := db.QueryRow(ctx, "SELECT started_at FROM runs WHERE id = $1", r.ID).Scan(&started); err != nil {
			return err
		}
		lat = append(lat, max(0, started.Sub(answered)))
	}
	slices.Sort(lat)
	pct := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	fmt.Printf("trigger-to-running over %d runs: p50 %s, p90 %s, p99 %s, max %s  (goals: p50 <= 200ms %s, p99 <= 1s %s)\n",
		len(lat), ms(pct(0.5)), ms(pct(0.9)), ms(pct(0.99)), ms(lat[len(lat)-1]),
		verdict(pct(0.5) <= 200*time.Millisecond), verdict(pct(0.99) <= time.Second))

	// 2. 20 pipelines across 4 orgs at once.
	type target struct {
		c        *benchapi.Client
		org      int
		pipeline int64
	}
	var targets []target
	for o := 1; o <= 4; o++ {
		c, src, dst, err := org(base, o, source, destination)
		if err != nil {
			return err
		}
		for k := range 5 {
			p, err := c.Pipeline(fmt.Sprintf("concurrent %d", k), src, dst, "", tiny)
			if err != nil {
				return err
			}
			targets = append(targets, target{c, o, p})
		}
	}
	start := time.Now()
	ids := make([]int64, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			r, _, err := t.c.Trigger(t.pipeline)
			if err != nil {
				errs[i] = err
				return
			}
			ids[i] = r.ID
			done, err := t.c.Wait(r.ID, 2*time.Minute)
			if err == nil && done.Status != "success" {
				err = fmt.Errorf("run %d ended %s: %s", r.ID, done.Status, done.Error)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	wall := time.Since(start)
	// The most runs of one org running at the same time, from their intervals.
	rows, err := db.Query(ctx, `SELECT org_id, started_at, finished_at, job_id FROM runs WHERE id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	type iv struct {
		org        int64
		start, end time.Time
	}
	var ivs []iv
	var jobs []int64
	for rows.Next() {
		var x iv
		var job *int64
		if err := rows.Scan(&x.org, &x.start, &x.end, &job); err != nil {
			return err
		}
		ivs = append(ivs, x)
		if job != nil {
			jobs = append(jobs, *job)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	peak := map[int64]int{}
	for _, a := range ivs {
		n := 0
		for _, b := range ivs {
			if a.org == b.org && !b.start.After(a.start) && b.end.After(a.start) {
				n++
			}
		}
		peak[a.org] = max(peak[a.org], n)
	}
	worst := 0
	for _, n := range peak {
		worst = max(worst, n)
	}
	var twice int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE id = ANY($1) AND attempt > 1`, jobs).Scan(&twice); err != nil {
		return err
	}
	fmt.Printf("20 pipelines across 4 orgs at once: all %d succeeded in %s; most running at once in one org %d (limit %d) %s; "+
		"jobs of the %d runs worked more than once: %d %s\n",
		len(ids), ms(wall), worst, limit, verdict(worst <= limit), len(jobs), twice, verdict(twice == 0 && len(jobs) == len(ids)))
	if pct(0.5) > 200*time.Millisecond || pct(0.99) > time.Second || worst > limit || twice != 0 || len(jobs) != len(ids) {
		return errors.New("a goal was missed")
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
