package testutil

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// recorder is a testing.TB that records a failure instead of ending the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) FailNow()              { r.failed = true; panic(r) }
func (r *recorder) Helper()               {}

// run calls Golden with r and reports whether it failed.
func run(t *testing.T, path, got string) (failed bool) {
	t.Helper()
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		Golden(r, path, got)
	}()
	return r.failed
}

func TestGolden_PassesOnEqualFailsOnStaleOrMissing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sent.golden")
	require.NoError(t, os.WriteFile(path, []byte("SELECT 1;\n"), 0o600))

	require.False(t, run(t, path, "SELECT 1;\n"))
	require.True(t, run(t, path, "SELECT 2;\n"), "a changed output fails")
	require.True(t, run(t, filepath.Join(dir, "missing.golden"), "x"), "a missing file fails")
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "SELECT 1;\n", string(want), "without -update the file is never written")
}

func TestGolden_UpdateWritesTheFileAndItsDirectories(t *testing.T) {
	*update = true
	t.Cleanup(func() { *update = false })
	path := filepath.Join(t.TempDir(), "dialect", "postgres.sql")

	require.False(t, run(t, path, "CREATE TABLE t ();\n"))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "CREATE TABLE t ();\n", string(got))
}
