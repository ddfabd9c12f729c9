package cron

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseErrors(t *testing.T) {
	cases := []struct{ expr, field, msg string }{
		{"", "", "the expression is empty; expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily"},
		{"   ", "", "the expression is empty; expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily"},
		{"* * * *", "", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"},
		{"0 * * * * *", "", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"},
		{"@reboot", "", `unknown macro "@reboot"; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly`},
		{"@daily 0", "", `unknown macro "@daily 0"; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly`},
		{"60 * * * *", "minute", "minute: 60 is out of range 0-59"},
		{"0 24 * * *", "hour", "hour: 24 is out of range 0-23"},
		{"0 0 0 * *", "day of month", "day of month: 0 is out of range 1-31"},
		{"0 0 32 * *", "day of month", "day of month: 32 is out of range 1-31"},
		{"0 0 * 0 *", "month", "month: 0 is out of range 1-12"},
		{"0 0 * 13 *", "month", "month: 13 is out of range 1-12"},
		{"0 0 * * 8", "day of week", "day of week: 8 is out of range 0-7"},
		{"0 0-24 * * *", "hour", "hour: 24 is out of range 0-23"},
		{"99999999999999999999 * * * *", "minute", "minute: 99999999999999999999 is out of range 0-59"},
		{"*/0 * * * *", "minute", "minute: step 0 is out of range 1-59"},
		{"*/60 * * * *", "minute", "minute: step 60 is out of range 1-59"},
		{"0 */24 * * *", "hour", "hour: step 24 is out of range 1-23"},
		{"*/x * * * *", "minute", `minute: step "x" is not a number`},
		{"*/ * * * *", "minute", `minute: step "" is not a number`},
		{"*/-1 * * * *", "minute", `minute: step "-1" is not a number`},
		{"5-1 * * * *", "minute", "minute: range 5-1 is reversed; the start must not exceed the end"},
		{"0 0 * DEC-JAN *", "month", "month: range DEC-JAN is reversed; the start must not exceed the end"},
		{"0 0 * * FRI-MON", "day of week", "day of week: range FRI-MON is reversed; the start must not exceed the end"},
		{"1,,2 * * * *", "minute", "minute: empty list element"},
		{"-5 * * * *", "minute", "minute: missing value"},
		{"5- * * * *", "minute", "minute: missing value"},
		{"a * * * *", "minute", `minute: "a" is not a number`},
		{"1.5 * * * *", "minute", `minute: "1.5" is not a number`},
		{"0 0 * JANUARY *", "month", `month: unknown name "JANUARY"; use JAN-DEC or 1-12`},
		{"0 0 * * MONDAY", "day of week", `day of week: unknown name "MONDAY"; use SUN-SAT or 0-7`},
		{"0 0 * * XYZ-FRI", "day of week", `day of week: unknown name "XYZ"; use SUN-SAT or 0-7`},
		{"0 0 MON * *", "day of month", `day of month: "MON" is not a number`},
		{"0 0 30 2 *", "day of month", "day of month: 30 never occurs in the chosen months, so the schedule would never fire"},
		{"0 0 31 4,6,9,11 *", "day of month", "day of month: 31 never occurs in the chosen months, so the schedule would never fire"},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			s, err := Parse(tc.expr)
			require.Nil(t, s)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.field, pe.Field)
			require.Equal(t, tc.msg, err.Error())
		})
	}
}

func TestParseAccepts(t *testing.T) {
	cases := []struct{ expr, normalized string }{
		{"*/15 * * * *", "*/15 * * * *"},
		{"  30   2 * *   mon-fri ", "30 2 * * MON-FRI"},
		{"0 0 * jan-Mar sun", "0 0 * JAN-MAR SUN"},
		{"0 0 * * MON-SUN", "0 0 * * MON-SUN"},
		{"5/10 1-20/5 1,15 * 0-7", "5/10 1-20/5 1,15 * 0-7"},
		{"0 0 30 2 1", "0 0 30 2 1"}, // never the 30th of February, but Mondays in February
		{"0 0 29 2 *", "0 0 29 2 *"},
		{"@DAILY", "@daily"},
		{"@annually", "@annually"},
		{"@midnight", "@midnight"},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			s, err := Parse(tc.expr)
			require.NoError(t, err)
			require.Equal(t, tc.normalized, s.String())
			again, err := Parse(s.String())
			require.NoError(t, err)
			require.Equal(t, s.String(), again.String())
		})
	}
}

func TestParseSets(t *testing.T) {
	bits := func(vs ...int) uint64 {
		var b uint64
		for _, v := range vs {
			b |= 1 << v
		}
		return b
	}
	s, err := Parse("5/20 1-10/3 1,15,31 JAN,jul-aug 5-7")
	require.NoError(t, err)
	require.Equal(t, bits(5, 25, 45), s.minute)
	require.Equal(t, bits(1, 4, 7, 10), s.hour)
	require.Equal(t, bits(1, 15, 31), s.dom)
	require.Equal(t, bits(1, 7, 8), s.month)
	require.Equal(t, bits(0, 5, 6), s.dow) // 7 is Sunday
	require.False(t, s.domStar)
	require.False(t, s.dowStar)

	s, err = Parse("0 0 * * mon-sun")
	require.NoError(t, err)
	require.Equal(t, bits(0, 1, 2, 3, 4, 5, 6), s.dow)
	require.True(t, s.domStar)

	for macro, fields := range map[string]string{
		"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
		"@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
	} {
		m, err := Parse(macro)
		require.NoError(t, err)
		f, err := Parse(fields)
		require.NoError(t, err)
		require.Equal(t, [5]uint64{f.minute, f.hour, f.dom, f.month, f.dow}, [5]uint64{m.minute, m.hour, m.dom, m.month, m.dow}, macro)
	}
}

func TestLoadZone(t *testing.T) {
	for _, name := range []string{"UTC", "Europe/London", "America/Santiago", "Asia/Kolkata"} {
		loc, err := LoadZone(name)
		require.NoError(t, err)
		require.Equal(t, name, loc.String())
	}
	cases := map[string]string{
		"":              "time zone is empty; give an IANA name such as Europe/London or UTC",
		"Local":         `time zone "Local" depends on the server; give an IANA name such as Europe/London or UTC`,
		"local":         `time zone "local" depends on the server; give an IANA name such as Europe/London or UTC`,
		"Mars/Olympus":  `unknown time zone "Mars/Olympus"; give an IANA name such as Europe/London or UTC`,
		"../etc/passwd": `unknown time zone "../etc/passwd"; give an IANA name such as Europe/London or UTC`,
	}
	for name, msg := range cases {
		_, err := LoadZone(name)
		require.EqualError(t, err, msg, name)
	}
}
