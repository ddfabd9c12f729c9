package cron

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// refMatches reports whether the wall-clock time (fields of w read as UTC)
// matches s, deciding days as Vixie cron does, with no shortcuts.
func refMatches(s *Schedule, w time.Time) bool {
	in := func(set uint64, v int) bool { return set&(1<<uint(v)) != 0 }
	if !in(s.minute, w.Minute()) || !in(s.hour, w.Hour()) || !in(s.month, int(w.Month())) {
		return false
	}
	dom, dow := in(s.dom, w.Day()), in(s.dow, int(w.Weekday()))
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}

// refFires is the slow reference: it walks every minute of UTC, reads the
// local wall clock and fires at the first instant whose wall clock reaches a
// matching wall-clock time (a repeated time fires at its first occurrence, a
// time in a gap at the transition instant, all within one minute as one fire).
// It returns the fires in (from, to].
func refFires(s *Schedule, loc *time.Location, from, to time.Time) []time.Time {
	wallOf := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), 0, 0, time.UTC)
	}
	t := from.Truncate(time.Minute).Add(-30 * time.Hour)
	reached := wallOf(t) // the latest wall clock seen so far
	var out []time.Time
	for t = t.Add(time.Minute); !t.After(to); t = t.Add(time.Minute) {
		w := wallOf(t)
		if !w.After(reached) {
			continue // a repeated stretch of wall clock
		}
		fire := false
		for x := reached.Add(time.Minute); !x.After(w); x = x.Add(time.Minute) {
			fire = fire || refMatches(s, x)
		}
		reached = w
		if fire && t.After(from) {
			out = append(out, t.UTC())
		}
	}
	return out
}

func randomField(r *rand.Rand, lo, hi int, pool []int, names []string) string {
	val := func() int {
		if len(pool) > 0 && r.IntN(2) == 0 {
			return pool[r.IntN(len(pool))]
		}
		return lo + r.IntN(hi-lo+1)
	}
	name := func(v int) string {
		if names != nil && r.IntN(3) == 0 {
			return strings.ToLower(names[(v-lo)%len(names)])
		}
		return fmt.Sprint(v)
	}
	one := func() string {
		switch r.IntN(6) {
		case 0:
			return "*"
		case 1:
			return fmt.Sprintf("*/%d", 1+r.IntN(min(hi-lo, 20)))
		case 2:
			a, b := val(), val()
			a, b = min(a, b), max(a, b)
			return name(a) + "-" + name(b)
		case 3:
			a, b := val(), val()
			a, b = min(a, b), max(a, b)
			return fmt.Sprintf("%d-%d/%d", a, b, 1+r.IntN(min(hi-lo, 10)))
		case 4:
			return fmt.Sprintf("%d/%d", val(), 1+r.IntN(min(hi-lo, 10)))
		}
		return name(val())
	}
	n := 1
	if r.IntN(4) == 0 {
		n = 2 + r.IntN(2)
	}
	parts := make([]string, n)
	for i := range parts {
		parts[i] = one()
	}
	return strings.Join(parts, ",")
}

// starOr keeps the day and month fields loose half of the time, so that most
// windows see fires.
func starOr(r *rand.Rand, field string) string {
	if r.IntN(2) == 0 {
		return "*"
	}
	return field
}

func TestNextMatchesBruteForce(t *testing.T) {
	zones := []struct {
		name        string
		transitions []string
	}{
		{"America/New_York", []string{"2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"}},
		{"Europe/London", []string{"2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"}},
		{"Australia/Melbourne", []string{"2026-04-04T16:00:00Z", "2026-10-03T16:00:00Z"}},
		{"America/Santiago", []string{"2026-04-05T03:00:00Z", "2026-09-06T04:00:00Z"}},
		{"Asia/Kolkata", []string{"2026-03-08T00:00:00Z"}},
		{"Australia/Lord_Howe", []string{"2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z"}}, // half-hour shifts
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(uint64(seed), 1))
	hourPool := []int{0, 1, 2, 3, 23}
	minutePool := []int{0, 15, 30, 45}
	dayPool := []int{4, 5, 6, 25, 29, 31, 1}
	iterations := 400
	if testing.Short() {
		iterations = 60
	}
	for i := 0; i < iterations; i++ {
		expr := strings.Join([]string{
			randomField(r, 0, 59, minutePool, nil),
			randomField(r, 0, 23, hourPool, nil),
			starOr(r, randomField(r, 1, 31, dayPool, nil)),
			starOr(r, randomField(r, 1, 12, []int{3, 4, 9, 10, 11}, monthNames)),
			starOr(r, randomField(r, 0, 7, []int{0, 6, 7}, append(dowNames, "SUN"))),
		}, " ")
		s, err := Parse(expr)
		if err != nil {
			var pe *ParseError
			require.ErrorAs(t, err, &pe, expr)
			continue
		}
		z := zones[r.IntN(len(zones))]
		loc, err := LoadZone(z.name)
		require.NoError(t, err)
		tr := utc(z.transitions[r.IntN(len(z.transitions))])
		from := tr.Add(-time.Duration(r.IntN(72*3600)) * time.Second)
		to := tr.Add(time.Duration(r.IntN(48*60)) * time.Minute)

		want := refFires(s, loc, from, to)
		var got []time.Time
		for f := s.Next(from, loc); !f.IsZero() && !f.After(to); f = s.Next(f, loc) {
			got = append(got, f.UTC())
		}
		require.Equal(t, want, got, "expr %q zone %s from %s to %s (seed %d)", expr, z.name, from, to, seed)
	}
}
