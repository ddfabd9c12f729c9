package testutil

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// update is the -update flag of every test binary that compares with golden files.
var update = flag.Bool("update", false, "rewrite the golden files from what the code produces")

// Golden asserts that got equals the golden file at path (slash-separated, relative to the
// package under test, usually under testdata/). With -update it first writes got there, creating
// directories as needed, so that a change is made by running the tests once with -update and
// reviewing the diff.
func Golden(t testing.TB, path, got string) {
	t.Helper()
	path = filepath.FromSlash(path)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o750))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o600))
	}
	want, err := os.ReadFile(path) //nolint:gosec // a test's own testdata path
	require.NoError(t, err, "run go test -update to create %s", path)
	require.Equal(t, string(want), got, "%s is stale: review the change, then run go test -update", path)
}
