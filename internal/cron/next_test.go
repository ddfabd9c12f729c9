package cron

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The expected instants below are worked out by hand from the 2026 rules:
// America/New_York EST -5 / EDT -4, 2026-03-08 02:00→03:00 (07:00Z), 2026-11-01 02:00→01:00 (06:00Z);
// Europe/London GMT / BST +1, 2026-03-29 01:00→02:00 (01:00Z), 2026-10-25 02:00→01:00 (01:00Z);
// Australia/Melbourne AEDT +11 / AEST +10, 2026-04-05 03:00→02:00 (04-04 16:00Z), 2026-10-04 02:00→03:00 (10-03 16:00Z);
// America/Santiago -03 / -04, 2026-04-05 00:00→04-04 23:00 (03:00Z), 2026-09-06 00:00→01:00 (04:00Z);
// Asia/Kolkata +05:30 without transitions.
func TestNextDSTGolden(t *testing.T) {
	cases := []struct {
		name, zone, expr, after string
		want                    []string
	}{
		// New York
		{"NY 02:30 on spring-forward day fires at the transition", "America/New_York", "30 2 * * *", "2026-03-07T00:00:00Z",
			[]string{"2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}},
		{"NY 02:30 on fall-back day exists once", "America/New_York", "30 2 * * *", "2026-10-31T00:00:00Z",
			[]string{"2026-10-31T06:30:00Z", "2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z"}},
		{"NY 01:30 repeated fires at its first occurrence", "America/New_York", "30 1 * * *", "2026-10-31T00:00:00Z",
			[]string{"2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
		{"NY 07-8 across spring-forward", "America/New_York", "0 7-8 * * *", "2026-03-07T00:00:00Z",
			[]string{"2026-03-07T12:00:00Z", "2026-03-07T13:00:00Z", "2026-03-08T11:00:00Z", "2026-03-08T12:00:00Z"}},
		{"NY */30 1-3 collapses the gap into one fire", "America/New_York", "*/30 1-3 * * *", "2026-03-08T00:00:00Z",
			[]string{"2026-03-08T06:00:00Z", "2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z", "2026-03-09T05:00:00Z"}},
		{"NY */30 1-3 repeated hour fires once", "America/New_York", "*/30 1-3 * * *", "2026-11-01T00:00:00Z",
			[]string{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:30:00Z",
				"2026-11-01T08:00:00Z", "2026-11-01T08:30:00Z", "2026-11-02T06:00:00Z"}},
		{"NY */15 skips the second pass of the repeated hour", "America/New_York", "*/15 * * * *", "2026-11-01T05:40:00Z",
			[]string{"2026-11-01T05:45:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:15:00Z"}},
		{"NY */15 from inside the second pass", "America/New_York", "*/15 * * * *", "2026-11-01T06:20:00Z",
			[]string{"2026-11-01T07:00:00Z", "2026-11-01T07:15:00Z"}},
		{"NY */15 across the gap", "America/New_York", "*/15 * * * *", "2026-03-08T06:40:00Z",
			[]string{"2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z"}},
		{"NY 02:00 on spring-forward day", "America/New_York", "0 2 * * *", "2026-03-07T00:00:00Z",
			[]string{"2026-03-07T07:00:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z"}},
		{"NY weekdays across the weekend transition", "America/New_York", "0 0 * * 1-5", "2026-03-06T00:00:00Z",
			[]string{"2026-03-06T05:00:00Z", "2026-03-09T04:00:00Z", "2026-03-10T04:00:00Z"}},
		{"NY day 31 skips shorter months", "America/New_York", "0 0 31 * *", "2026-01-01T00:00:00Z",
			[]string{"2026-01-31T05:00:00Z", "2026-03-31T04:00:00Z", "2026-05-31T04:00:00Z", "2026-07-31T04:00:00Z",
				"2026-08-31T04:00:00Z", "2026-10-31T04:00:00Z", "2026-12-31T05:00:00Z"}},
		// London
		{"London 01:30 in the gap", "Europe/London", "30 1 * * *", "2026-03-28T00:00:00Z",
			[]string{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
		{"London 02:30 across spring-forward", "Europe/London", "30 2 * * *", "2026-03-28T00:00:00Z",
			[]string{"2026-03-28T02:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T01:30:00Z"}},
		{"London 02:30 across fall-back", "Europe/London", "30 2 * * *", "2026-10-24T00:00:00Z",
			[]string{"2026-10-24T01:30:00Z", "2026-10-25T02:30:00Z", "2026-10-26T02:30:00Z"}},
		{"London */30 1-3 repeated hour", "Europe/London", "*/30 1-3 * * *", "2026-10-24T23:00:00Z",
			[]string{"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T02:00:00Z", "2026-10-25T02:30:00Z",
				"2026-10-25T03:00:00Z", "2026-10-25T03:30:00Z"}},
		{"London */15 across the gap", "Europe/London", "*/15 * * * *", "2026-03-29T00:40:00Z",
			[]string{"2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z"}},
		// Melbourne: Go's time.Date would pick the second 02:30 here.
		{"Melbourne 02:30 repeated fires at its first occurrence", "Australia/Melbourne", "30 2 * * *", "2026-04-03T00:00:00Z",
			[]string{"2026-04-03T15:30:00Z", "2026-04-04T15:30:00Z", "2026-04-05T16:30:00Z"}},
		{"Melbourne 02:30 in the gap", "Australia/Melbourne", "30 2 * * *", "2026-10-02T00:00:00Z",
			[]string{"2026-10-02T16:30:00Z", "2026-10-03T16:00:00Z", "2026-10-04T15:30:00Z"}},
		{"Melbourne */15 skips the second pass", "Australia/Melbourne", "*/15 * * * *", "2026-04-04T15:40:00Z",
			[]string{"2026-04-04T15:45:00Z", "2026-04-04T17:00:00Z", "2026-04-04T17:15:00Z"}},
		{"Melbourne 02:00 in the gap", "Australia/Melbourne", "0 2 * * *", "2026-10-02T00:00:00Z",
			[]string{"2026-10-02T16:00:00Z", "2026-10-03T16:00:00Z", "2026-10-04T15:00:00Z"}},
		// Santiago changes its clocks at 24:00.
		{"Santiago midnight after falling back at 24:00", "America/Santiago", "0 0 * * *", "2026-04-03T00:00:00Z",
			[]string{"2026-04-03T03:00:00Z", "2026-04-04T03:00:00Z", "2026-04-05T04:00:00Z", "2026-04-06T04:00:00Z"}},
		{"Santiago midnight in the 24:00 gap", "America/Santiago", "0 0 * * *", "2026-09-05T00:00:00Z",
			[]string{"2026-09-05T04:00:00Z", "2026-09-06T04:00:00Z", "2026-09-07T03:00:00Z"}},
		{"Santiago 23:30 repeated", "America/Santiago", "30 23 * * *", "2026-04-04T00:00:00Z",
			[]string{"2026-04-04T02:30:00Z", "2026-04-05T02:30:00Z", "2026-04-06T03:30:00Z"}},
		{"Santiago */30 across the midnight gap", "America/Santiago", "*/30 * * * *", "2026-09-06T03:20:00Z",
			[]string{"2026-09-06T03:30:00Z", "2026-09-06T04:00:00Z", "2026-09-06T04:30:00Z"}},
		{"Santiago Sunday midnight after fall-back", "America/Santiago", "0 0 * * 0", "2026-03-30T00:00:00Z",
			[]string{"2026-04-05T04:00:00Z", "2026-04-12T04:00:00Z"}},
		{"Santiago Sunday midnight in the gap", "America/Santiago", "0 0 * * SUN", "2026-09-01T00:00:00Z",
			[]string{"2026-09-06T04:00:00Z", "2026-09-13T03:00:00Z"}},
		// Lord Howe shifts by half an hour: 2026-04-05 02:00→01:30 (+11 → +10:30), 2026-10-04 02:00→02:30.
		{"Lord Howe */15 repeated half hour", "Australia/Lord_Howe", "*/15 1-2 * * *", "2026-04-04T14:00:00Z",
			[]string{"2026-04-04T14:15:00Z", "2026-04-04T14:30:00Z", "2026-04-04T14:45:00Z", "2026-04-04T15:30:00Z",
				"2026-04-04T15:45:00Z", "2026-04-04T16:00:00Z", "2026-04-04T16:15:00Z"}},
		{"Lord Howe 02:15 in the half-hour gap", "Australia/Lord_Howe", "15 2 * * *", "2026-10-02T00:00:00Z",
			[]string{"2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"}},
		// Kolkata: no transitions.
		{"Kolkata control", "Asia/Kolkata", "30 2 * * *", "2026-03-07T00:00:00Z",
			[]string{"2026-03-07T21:00:00Z", "2026-03-08T21:00:00Z"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			loc, err := LoadZone(tc.zone)
			require.NoError(t, err)
			s, err := Parse(tc.expr)
			require.NoError(t, err)
			got := s.NextN(utc(tc.after), loc, len(tc.want))
			gotText := make([]string, len(got))
			for i, g := range got {
				require.Equal(t, loc, g.Location())
				gotText[i] = g.UTC().Format(time.RFC3339)
			}
			require.Equal(t, tc.want, gotText)
		})
	}
}

func TestNextUTCAndSeconds(t *testing.T) {
	s, err := Parse("*/5 * * * *")
	require.NoError(t, err)
	require.Equal(t, utc("2026-01-01T00:05:00Z"), s.Next(utc("2026-01-01T00:00:00Z"), time.UTC))
	require.Equal(t, utc("2026-01-01T00:05:00Z"), s.Next(utc("2026-01-01T00:04:59Z"), time.UTC))
	require.Equal(t, utc("2026-01-01T00:00:00Z"), s.Next(utc("2025-12-31T23:59:30Z"), time.UTC))
	require.Empty(t, s.NextN(utc("2026-01-01T00:00:00Z"), time.UTC, 0))
}

func TestNextLeapDayAndYearly(t *testing.T) {
	s, err := Parse("0 12 29 2 *")
	require.NoError(t, err)
	require.Equal(t, []time.Time{utc("2028-02-29T12:00:00Z"), utc("2032-02-29T12:00:00Z")},
		s.NextN(utc("2026-03-01T00:00:00Z"), time.UTC, 2))
	// 2100 is not a leap year: eight years between fires.
	require.Equal(t, utc("2104-02-29T12:00:00Z"), s.Next(utc("2096-03-01T00:00:00Z"), time.UTC))

	y, err := Parse("@yearly")
	require.NoError(t, err)
	require.Equal(t, utc("2027-01-01T00:00:00Z"), y.Next(utc("2026-01-01T00:00:00Z"), time.UTC))
}

func TestNextDayOfMonthOrDayOfWeek(t *testing.T) {
	// Both restricted: the 13th or any Friday (Vixie cron).
	s, err := Parse("0 0 13 * FRI")
	require.NoError(t, err)
	require.Equal(t, []time.Time{utc("2026-03-06T00:00:00Z"), utc("2026-03-13T00:00:00Z"), utc("2026-03-20T00:00:00Z")},
		s.NextN(utc("2026-03-01T00:00:00Z"), time.UTC, 3))
	s, err = Parse("0 0 13 * *")
	require.NoError(t, err)
	require.Equal(t, utc("2026-03-13T00:00:00Z"), s.Next(utc("2026-03-01T00:00:00Z"), time.UTC))
	// dom starts with *: both must match, the odd days that are Sundays (7 = Sunday).
	s, err = Parse("0 0 */2 * 7")
	require.NoError(t, err)
	require.Equal(t, []time.Time{utc("2026-03-01T00:00:00Z"), utc("2026-03-15T00:00:00Z"), utc("2026-03-29T00:00:00Z")},
		s.NextN(utc("2026-02-28T00:00:00Z"), time.UTC, 3))
}

func BenchmarkNextYearEvery5Minutes(b *testing.B) {
	s, err := Parse("*/5 * * * *")
	require.NoError(b, err)
	loc, err := LoadZone("America/New_York")
	require.NoError(b, err)
	start := utc("2026-01-01T00:00:00Z")
	end := start.AddDate(1, 0, 0)
	for b.Loop() {
		n := 0
		for t := s.Next(start, loc); t.Before(end); t = s.Next(t, loc) {
			n++
		}
		if n < 100000 {
			b.Fatalf("only %d fires", n)
		}
	}
}
