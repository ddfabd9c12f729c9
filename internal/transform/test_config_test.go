package transform

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTestOutcome_SeverityErrorIfWarnIfAsDbt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		severity, errorIf, warnIf string
		failures                  int64
		want                      string
	}{
		{"error", "", "", 0, StatusPass},
		{"error", "", "", 3, StatusFail},
		{"warn", "", "", 3, StatusWarn},
		{"ERROR", ">10", "", 3, StatusWarn},
		{"error", ">10", "", 11, StatusFail},
		{"error", ">10", ">5", 3, StatusPass},
		{"error", "<1", "<0", 6, StatusPass}, // dbt_utils' own failing cases: rows must be found
		{"error", "<1", "<0", 0, StatusFail},
		{"warn", "!=0", "=0", 0, StatusWarn},
		{"error", " >= 2 ", "", 2, StatusFail},
		{"error", "==2", "", 1, StatusWarn},
	}
	for _, c := range cases {
		got, err := testOutcome(c.severity, c.errorIf, c.warnIf, c.failures)
		require.NoError(t, err)
		require.Equal(t, c.want, got, "%+v", c)
	}
	_, err := testOutcome("error", "more than 3", "", 1)
	require.ErrorContains(t, err, `error_if: "more than 3" is not a condition`)
	_, err = testOutcome("warn", "", "~1", 1)
	require.ErrorContains(t, err, "warn_if")
}
