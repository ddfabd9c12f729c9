package cron

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDescribe(t *testing.T) {
	cases := []struct{ expr, want string }{
		{"30 2 * * 1-5", "At 02:30, Monday through Friday"},
		{"*/15 * * * *", "Every 15 minutes"},
		{"* * * * *", "Every minute"},
		{"0 * * * *", "At minute 0 past every hour"},
		{"@hourly", "At minute 0 past every hour"},
		{"0 0 31 * *", "At 00:00 on day 31 of the month"},
		{"*/30 1-3 * * *", "Every 30 minutes, between 01:00 and 03:59"},
		{"0 7-8 * * *", "At minute 0, between 07:00 and 08:59"},
		{"0 9,17 * * *", "At 09:00 and 17:00"},
		{"30,0 9 * * *", "At 09:00 and 09:30"},
		{"0 */2 * * *", "At minute 0 past every 2nd hour"},
		{"*/15 */2 * * *", "Every 15 minutes past every 2nd hour"},
		{"5/10 * * * *", "Every 10 minutes from minute 5 through 59"},
		{"10-20 * * * *", "Every minute from minute 10 through 20"},
		{"0,10,20,30,40,50 9-17 * * *", "At minutes 0, 10, 20, 30, 40 and 50, between 09:00 and 17:59"},
		{"* 9 * * *", "Every minute, during the 09:00 hour"},
		{"15 8-18/2 * * *", "At minute 15, every 2nd hour from 08:00 through 18:00"},
		{"0 1,5-7 * * *", "At minute 0, during the 01:00 hour and between 05:00 and 07:59"},
		{"0 0 1,15 * *", "At 00:00 on days 1 and 15 of the month"},
		{"0 0 1-7,15 * *", "At 00:00 on days 1 through 7 and day 15 of the month"},
		{"0 0 13 * FRI", "At 00:00 on day 13 of the month or on Friday"},
		{"0 0 1-7 * MON", "At 00:00 on days 1 through 7 of the month or on Monday"},
		{"0 0 */2 * 7", "At 00:00 on every 2nd day of the month, but only on Sunday"},
		{"0 0 * * MON,WED,FRI", "At 00:00, on Monday, Wednesday and Friday"},
		{"0 0 * * 5-7", "At 00:00, Friday through Sunday"},
		{"0 0 * * 1-5,SUN", "At 00:00, Monday through Friday and Sunday"},
		{"@daily", "At 00:00"},
		{"@weekly", "At 00:00, on Sunday"},
		{"@monthly", "At 00:00 on day 1 of the month"},
		{"@yearly", "At 00:00 on day 1 of the month, in January"},
		{"0 12 * JAN-MAR *", "At 12:00, in January through March"},
		{"0 12 * */3 *", "At 12:00, in every 3rd month"},
		{"0 0 1 1,7 *", "At 00:00 on day 1 of the month, in January and July"},
		{"45 23 L * *", ""}, // not standard: see TestParseErrors
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			s, err := Parse(tc.expr)
			if tc.want == "" {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, s.Describe())
		})
	}
}

func TestOrdinal(t *testing.T) {
	for n, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd", 23: "23rd"} {
		require.Equal(t, want, ordinal(n))
	}
}
