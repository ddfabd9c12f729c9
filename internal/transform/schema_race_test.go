package transform

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform/dialect"
)

// Two runs (two engines, as two processes have) creating the same schema at the same moment:
// PostgreSQL fails the loser's CREATE SCHEMA IF NOT EXISTS with a duplicate key, which used to
// fail its model (seen when a cascade ran two sibling models at once).
func TestEnsureSchema_ConcurrentRunsCreatingOneSchemaBothSucceed(t *testing.T) {
	t.Parallel()
	db := postgresTarget(t)
	db.SetMaxOpenConns(16)
	for round := 0; round < 10; round++ {
		schema := fmt.Sprintf("race_%d", round)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		start := make(chan struct{})
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, err := db.Conn(context.Background())
				if err != nil {
					errs[i] = err
					return
				}
				defer conn.Close() //nolint:errcheck // a test's connection
				e := &Engine{d: dialect.ByName("postgres")}
				<-start
				errs[i] = e.ensureSchema(context.Background(), conn, schema)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "engine %d of round %d", i, round)
		}
	}
}
