// Command runs is the Go side of bench/runs/bench.sh: it drives a running `datanika serve`
// through its API as users would, and reads run timestamps from its metadata database.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
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

type client struct {
	base, token string
}

func (c *client) do(method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(b, out)
	}
	return resp.StatusCode, nil
}

// org signs up a user with an org and creates the two connections.
func org(base string, i int, source, destination string) (*client, int64, int64, error) {
	c := &client{base: base}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	email := fmt.Sprintf("bench-%d-%d@example.com", time.Now().UnixNano(), i)
	if _, err := c.do("POST", "/api/v1/auth/signup", map[string]any{"email": email, "password": "bench-password-123",
		"full_name": "Bench " + strconv.Itoa(i), "org_name": "Bench org " + strconv.Itoa(i)}, &tok); err != nil {
		return nil, 0, 0, err
	}
	c.token = tok.AccessToken
	var ids [2]int64
	for k, raw := range []string{source, destination} {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, 0, 0, err
		}
		port, _ := strconv.Atoi(u.Port())
		if port == 0 {
			port = 5432
		}
		cfg := map[string]any{"host": u.Hostname(), "port": port, "database": u.Path[1:], "user": u.User.Username(), "sslmode": "disable"}
		if p, ok := u.User.Password(); ok {
			cfg["password"] = p
		}
		var conn struct {
			ID int64 `json:"id"`
		}
		if _, err := c.do("POST", "/api/v1/connections", map[string]any{"name": []string{"source", "destination"}[k], "type": "postgres", "config": cfg}, &conn); err != nil {
			return nil, 0, 0, err
		}
		ids[k] = conn.ID
	}
	return c, ids[0], ids[1], nil
}

func (c *client) pipeline(name string, src, dst int64) (int64, error) {
	var p struct {
		ID int64 `json:"id"`
	}
	_, err := c.do("POST", "/api/v1/pipelines", map[string]any{"name": name, "source_connection_id": src, "destination_connection_id": dst,
		"status": "active", "config": map[string]any{"mode": "single_table", "table": "public.tiny", "write_disposition": "replace"}}, &p)
	return p.ID, err
}

type runView struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	Error  string `json:"error"`
}

func (c *client) trigger(pipeline int64) (runView, time.Time, error) {
	var r runView
	_, err := c.do("POST", fmt.Sprintf("/api/v1/pipelines/%d/runs", pipeline), map[string]any{}, &r)
	return r, time.Now(), err
}

func (c *client) wait(id int64, limit time.Duration) (runView, error) {
	deadline := time.Now().Add(limit)
	for {
		var r runView
		if _, err := c.do("GET", fmt.Sprintf("/api/v1/runs/%d", id), nil, &r); err != nil {
			return r, err
		}
		switch r.Status {
		case "success", "failed", "cancelled", "skipped":
			return r, nil
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("run %d still %s after %s", id, r.Status, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

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
	p, err := c.pipeline("latency", src, dst)
	if err != nil {
		return err
	}
	var lat []time.Duration
	for range runs {
		r, answered, err := c.trigger(p)
		if err != nil {
			return err
		}
		done, err := c.wait(r.ID, time.Minute)
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
		c        *client
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
			p, err := c.pipeline(fmt.Sprintf("concurrent %d", k), src, dst)
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
			r, _, err := t.c.trigger(t.pipeline)
			if err != nil {
				errs[i] = err
				return
			}
			ids[i] = r.ID
			done, err := t.c.wait(r.ID, 2*time.Minute)
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
