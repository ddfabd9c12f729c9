package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// datanika load reads a data file named by a file:// URL; a bad one fails with one line.
func TestLoad_FromADataFile(t *testing.T) {
	t.Parallel()
	path, err := filepath.Abs("../../../shared/datasets/jaffle_shop/raw_payments.csv")
	require.NoError(t, err)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("jaffle_shop is not here: %v", err)
	}
	u, conn := loadDB(t)
	res := runBinary(t, baseEnv(), "load", "--source", "file://"+path, "--destination", u, "--name", "payments",
		"--config", `{"mode": "single_table", "table": "payments", "write_disposition": "replace", "primary_key": "id"}`, "--output", "json")
	require.Equal(t, exitOK, res.code, res.stderr)
	var out loadOutput
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &out), res.stdout)
	require.Equal(t, int64(113), out.RowsLoaded)
	var sum int64
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT sum(amount) FROM raw.payments").Scan(&sum))
	require.Equal(t, int64(167200), sum, "the sum of the file's amount column")

	res = runBinary(t, baseEnv(), "load", "--source", "file://"+filepath.Join(t.TempDir(), "missing.csv"), "--destination", u, "--name", "x")
	require.NotEqual(t, exitOK, res.code)
	require.Contains(t, res.stderr, "missing.csv")
	require.Len(t, nonEmptyLines(res.stderr), 1)
}
