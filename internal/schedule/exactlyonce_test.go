package schedule

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/testutil"
)

// The exactly-once test runs schedulers as separate OS processes: this test binary, re-executed
// with childEnv set to the database URL, is one scheduler. It reads "tick <unix nanoseconds>"
// lines on stdin, runs one Tick at that instant and answers "ok <claimed>" (or "err <message>").
// With killEnv set to n, from its n-th tick on, the first tick that claims rows answers
// "claimed <rows>" from inside its transaction (right after the claim) and hangs there, so
// the parent can SIGKILL it while it holds them.
const (
	childEnv = "DNK_SCHEDULER_CHILD_URL"
	killEnv  = "DNK_SCHEDULER_CHILD_KILL_AT"
)

func TestMain(m *testing.M) {
	if url := os.Getenv(childEnv); url != "" {
		if err := childMain(url); err != nil {
			fmt.Fprintln(os.Stderr, "scheduler child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func childMain(url string) error {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return err
	}
	database.AsAppRole(cfg)
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	killAt, _ := strconv.Atoi(os.Getenv(killEnv))
	out := bufio.NewWriter(os.Stdout)
	ticks := 0
	s := &Scheduler{DB: pool, Trigger: endedRunTrigger{}, Batch: 200}
	if killAt > 0 {
		s.AfterClaim = func(_ context.Context, claimed int) {
			if ticks >= killAt && claimed > 0 {
				fmt.Fprintf(out, "claimed %d\n", claimed)
				_ = out.Flush()
				select {} // hold the rows until killed
			}
		}
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		ns, err := strconv.ParseInt(strings.TrimPrefix(in.Text(), "tick "), 10, 64)
		if err != nil {
			return err
		}
		ticks++
		res, err := s.Tick(ctx, time.Unix(0, ns).UTC())
		if err != nil {
			fmt.Fprintf(out, "err %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			fmt.Fprintf(out, "ok %d\n", res.Claimed)
		}
		if err := out.Flush(); err != nil {
			return err
		}
	}
	return in.Err()
}

type childProc struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	dead bool
}

func startChild(t *testing.T, url string, killAt int) *childProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$") //nolint:gosec // this test binary
	cmd.Env = append(os.Environ(), childEnv+"="+url, fmt.Sprintf("%s=%d", killEnv, killAt))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &childProc{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	t.Cleanup(func() {
		if !c.dead {
			_ = c.in.Close()
			_ = c.cmd.Wait()
		}
	})
	return c
}

// zones: every 2026 DST transition of four zones, and one without DST as a control.
var zones = []string{"America/New_York", "Europe/London", "Australia/Melbourne", "America/Santiago", "Asia/Kolkata"}

// expression k of a zone's schedules: mostly monthly ones on the days clocks change (8 and 29
// March, 5 April, 6 September, 4 and 25 October, 1 November) at the hours they change at,
// weekly ones on Sundays at those hours in the months of the changes, daily ones through
// those months, and a
// few hourly and half-hourly ones around the changes.
func expression(k int) string {
	days := []int{1, 4, 5, 6, 8, 25, 29}
	switch {
	case k < 110:
		return fmt.Sprintf("%d %d %d * *", 30*(k%5/4), k%4, days[k%7])
	case k < 122:
		return fmt.Sprintf("%d %d * 3,4,9-11 0", 30*(k%3/2), k%4)
	case k < 139:
		return []string{"@monthly", "0 0 31 * *", "@yearly", "@weekly"}[k%4]
	case k == 139:
		return "0 0 * 3,4 1-5"
	case k < 150:
		return []string{"30 2 * 3,11 *", "30 1 * 3,10 *", "0 0 * 4,9 *", "0 2 * 4,10 *", "15 3 * 3,4 *"}[k%5]
	case k < 152:
		return []string{"0 * 7-9 3 *", "30 * 24-26 10 *"}[k%2]
	case k < 154:
		return "*/30 1-3 * MAR,APR,SEP-NOV SUN"
	default:
		return fmt.Sprintf("0 %d 1 1,4,7,10 *", k%4)
	}
}

func TestExactlyOnce_FourSchedulerProcessesOneKilledHoldingRows_AYearOfFires(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four scheduler processes through a simulated year")
	}
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	const n = 1000
	start, end := utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z")

	// Four orgs, 1,000 pipelines, one schedule each.
	orgs := []int64{e.org}
	for i := 1; i < 4; i++ {
		org, _, _ := e.newOrg(t, fmt.Sprintf("org%d", i))
		orgs = append(orgs, org)
	}
	type sched struct {
		id       int64
		compiled Compiled
		want     []time.Time
	}
	all := make([]sched, n)
	var groupStart time.Time
	instants := map[time.Time]bool{}
	total := 0
	batch := &pgx.Batch{}
	for i := range n {
		zone, k := zones[i%len(zones)], i/len(zones)
		c, err := Compile(expression(k), zone)
		require.NoError(t, err)
		all[i].compiled = c
		for at := c.Cron.Next(start, c.Loc); at.Before(end); at = c.Cron.Next(at, c.Loc) {
			all[i].want = append(all[i].want, at.UTC())
			instants[at.UTC()] = true
		}
		total += len(all[i].want)
		org := orgs[i%len(orgs)]
		batch.Queue(`WITH c AS (SELECT id FROM connections WHERE org_id = $1 ORDER BY id LIMIT 1),
			p AS (INSERT INTO pipelines (org_id, name, source_connection_id, destination_connection_id, destination_schema, status)
			      SELECT $1, $2, c.id, c.id, 'raw', 'active' FROM c RETURNING id)
			INSERT INTO schedules (org_id, target_type, target_id, cron, timezone, misfire_grace_seconds, next_fire_at)
			SELECT $1, 'pipeline', p.id, $3, $4, 1800, $5 FROM p RETURNING id`,
			org, fmt.Sprintf("p%d", i), c.Cron.String(), zone, c.Cron.Next(start, c.Loc)).QueryRow(func(r pgx.Row) error { return r.Scan(&all[i].id) })
	}
	require.NoError(t, e.owner.SendBatch(ctx, batch).Close())
	sorted := make([]time.Time, 0, len(instants))
	for at := range instants {
		sorted = append(sorted, at)
	}
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	// One step per group of instants spanning at most 25 minutes, at the group's last instant:
	// no schedule fires twice within 30 minutes, so each step has at most one fire due per
	// schedule, late by less than the 30-minute grace the schedules have here.
	var steps []time.Time
	for _, at := range sorted {
		if len(steps) > 0 && at.Sub(groupStart) <= 25*time.Minute {
			steps[len(steps)-1] = at
			continue
		}
		steps, groupStart = append(steps, at), at
	}
	t.Logf("%d schedules, %d fires at %d distinct instants, in %d steps", n, total, len(sorted), len(steps))

	// Four scheduler processes; the first is killed while it holds rows, a third of the way.
	children := []*childProc{startChild(t, e.url, len(steps)/3)}
	for range 3 {
		children = append(children, startChild(t, e.url, 0))
	}
	tick := func(now time.Time) (killed int) {
		live := children[:0:0]
		for _, c := range children {
			if !c.dead {
				_, err := fmt.Fprintf(c.in, "tick %d\n", now.UnixNano())
				require.NoError(t, err)
				live = append(live, c)
			}
		}
		for _, c := range live {
			require.True(t, c.out.Scan(), "a scheduler process ended: %v", c.out.Err())
			line := c.out.Text()
			switch {
			case strings.HasPrefix(line, "claimed "):
				killed, _ = strconv.Atoi(strings.TrimPrefix(line, "claimed "))
				require.NoError(t, c.cmd.Process.Kill()) // SIGKILL: no chance to clean up
				_ = c.cmd.Wait()
				c.dead = true
			case strings.HasPrefix(line, "err "):
				require.FailNow(t, "a tick failed", line)
			}
		}
		return killed
	}
	due := func(now time.Time) int {
		return e.count(t, `SELECT count(*) FROM schedules WHERE is_active AND next_fire_at <= $1`, now)
	}
	killedHolding := 0
	began := time.Now()
	var now time.Time
	for i, at := range steps {
		now = at.Add(time.Duration(i*7919%20) * time.Second) // a tick a little after the fire
		if k := tick(now); k > 0 {
			killedHolding = k
			// The killed process's rows come back when PostgreSQL sees it gone; the others
			// claim them at this same instant.
			deadline := time.Now().Add(20 * time.Second)
			for due(now) > 0 {
				require.True(t, time.Now().Before(deadline), "the killed process's rows never came back")
				time.Sleep(20 * time.Millisecond)
				tick(now)
			}
		}
	}
	t.Logf("simulated year in %s; the killed process held %d rows", time.Since(began).Round(time.Millisecond), killedHolding)
	require.Positive(t, killedHolding, "one process was killed while it held claimed rows")
	require.Zero(t, due(now))

	// Every expected fire exactly once, fired with its run; nothing else.
	rows, err := e.owner.Query(ctx, `SELECT schedule_id, fire_at, outcome, run_id IS NOT NULL FROM schedule_fires ORDER BY schedule_id, fire_at`)
	require.NoError(t, err)
	got := map[int64][]time.Time{}
	for rows.Next() {
		var id int64
		var at time.Time
		var outcome string
		var hasRun bool
		require.NoError(t, rows.Scan(&id, &at, &outcome, &hasRun))
		require.Equal(t, OutcomeFired, outcome, "schedule %d at %s", id, at)
		require.True(t, hasRun)
		got[id] = append(got[id], at.UTC())
	}
	require.NoError(t, rows.Err())
	duplicates, missed := 0, 0
	for _, s := range all {
		seen := map[time.Time]int{}
		for _, at := range got[s.id] {
			seen[at]++
		}
		for _, at := range s.want {
			switch seen[at] {
			case 0:
				missed++
			case 1:
			default:
				duplicates++
			}
			delete(seen, at)
		}
		require.Empty(t, seen, "schedule %d fired at unexpected instants", s.id)
		var next time.Time
		require.NoError(t, e.owner.QueryRow(ctx, `SELECT next_fire_at FROM schedules WHERE id = $1`, s.id).Scan(&next))
		require.Equal(t, s.compiled.Cron.Next(now, s.compiled.Loc).UTC(), next.UTC())
	}
	require.Zero(t, duplicates, "duplicate fires")
	require.Zero(t, missed, "missed fires")
	require.Equal(t, total, e.count(t, `SELECT count(*) FROM runs WHERE trigger = 'schedule'`), "one run per fire, none from the killed process")
	_ = testutil.Logger
}
