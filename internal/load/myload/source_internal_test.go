package myload

import (
	"testing"

	"github.com/datanika/datanika/internal/load"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

// A MySQL TIME reads into a duration and is spelled back as MySQL reads it, exactly, over its
// whole range; what is not a TIME is refused.
func TestDuration_ParsesAndSpellsMySQLTimeExactly(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]struct {
		us   int64
		text string
	}{
		"838:59:59.999999":  {3020399999999, "838:59:59.999999"},
		"-838:59:59.999999": {-3020399999999, "-838:59:59.999999"},
		"838:59:59":         {3020399000000, "838:59:59"},
		"00:00:00":          {0, "00:00:00"},
		"-00:00:00.500000":  {-500000, "-00:00:00.5"},
		"-00:00:00.000001":  {-1, "-00:00:00.000001"},
		"24:00:00.000":      {86400000000, "24:00:00"},
		"12:34:56.7":        {45296700000, "12:34:56.7"},
	} {
		v, err := parseDuration(in)
		require.NoError(t, err, in)
		iv := v.(pgtype.Interval)
		require.Equal(t, pgtype.Interval{Microseconds: want.us, Valid: true}, iv, in)
		require.Equal(t, want.text, load.Canonical(load.KindDuration, iv), in)
		s, err := formatDuration(iv)
		require.NoError(t, err)
		back, err := parseDuration(s)
		require.NoError(t, err)
		require.Equal(t, iv, back, in)
	}
	for _, bad := range []string{"", "12:00", "1:60:00", "1:00:60", "a:00:00", "1:00:00.1234567", "--1:00:00"} {
		_, err := parseDuration(bad)
		require.Error(t, err, bad)
	}
	_, err := formatDuration(pgtype.Interval{Days: 1, Valid: true})
	require.Error(t, err, "a day is not hours for MySQL's TIME")
	// An interval of another kind keeps its three parts.
	require.Equal(t, "0mon 1d 0us", load.Canonical(load.KindInterval, pgtype.Interval{Days: 1, Valid: true}))
}
