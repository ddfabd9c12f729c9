package transform

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform/dialect"
	"github.com/datanika/datanika/internal/transform/project"
)

// jaffleSeeds is where the raw jaffle_shop seeds live; they are read, never copied into the repo.
func jaffleSeeds() string {
	if d := os.Getenv("JAFFLE_SHOP_SEEDS"); d != "" {
		return d
	}
	return "/work/shared/datasets/jaffle_shop"
}

// jaffleDir copies testdata/jaffle_shop and the raw seeds into a temporary project directory.
// Without the dataset, requireData skips; otherwise tiny stand-in seeds keep compile tests going.
func jaffleDir(t *testing.T, requireData bool) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("testdata/jaffle_shop")))
	for _, name := range []string{"raw_customers.csv", "raw_orders.csv", "raw_payments.csv"} {
		b, err := os.ReadFile(filepath.Join(jaffleSeeds(), name))
		if err != nil {
			if requireData {
				t.Skipf("SKIPPED — the jaffle_shop seeds are not at %s (set JAFFLE_SHOP_SEEDS): %v", jaffleSeeds(), err)
			}
			b = map[string][]byte{
				"raw_customers.csv": []byte("id,first_name,last_name\n1,Michael,P.\n"),
				"raw_orders.csv":    []byte("id,user_id,order_date,status\n1,1,2018-01-01,returned\n"),
				"raw_payments.csv":  []byte("id,order_id,payment_method,amount\n1,1,credit_card,1000\n"),
			}[name]
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "seeds", name), b, 0o600))
	}
	return dir
}

func loadDir(t *testing.T, dir string) *project.Project {
	t.Helper()
	p, err := project.Load(os.DirFS(dir))
	require.NoError(t, err)
	return p
}

func newEngine(t *testing.T, fsys fs.FS, d *dialect.Dialect, mutate ...func(*Options)) *Engine {
	t.Helper()
	p, err := project.Load(fsys)
	require.NoError(t, err)
	opts := Options{Dialect: d, TargetSchema: "analytics"}
	for _, m := range mutate {
		m(&opts)
	}
	e, err := New(context.Background(), p, opts)
	require.NoError(t, err)
	return e
}
