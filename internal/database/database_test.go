package database_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/testutil"
)

func TestMigrate_EmptyDatabaseReachesExpectedVersionOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := database.Connect(ctx, testutil.EmptyDatabase(t), 5*time.Second, testutil.Logger())
	require.NoError(t, err)
	defer pool.Close()

	before := database.CheckStatus(ctx, pool)
	require.True(t, before.Reachable)
	require.False(t, before.Current(), "an empty database is not current")
	require.Zero(t, before.Schema.Version)

	res, err := database.Migrate(ctx, pool, testutil.Logger())
	require.NoError(t, err)
	require.True(t, res.Changed())
	require.Equal(t, int64(0), res.FromVersion)
	require.Equal(t, database.ExpectedVersion(), res.ToVersion)
	require.NotEmpty(t, res.RiverApplied)

	after := database.CheckStatus(ctx, pool)
	require.True(t, after.Current())
	require.Positive(t, after.QueueVersion)

	again, err := database.Migrate(ctx, pool, testutil.Logger())
	require.NoError(t, err)
	require.False(t, again.Changed(), "a second run applies nothing")

	inst, err := dbgen.New(pool).GetInstallation(ctx)
	require.NoError(t, err)
	require.Regexp(t, `^[a-z0-9]{8}$`, inst.InstallationID)
}

func TestMigrate_ConcurrentProcessesMigrateOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testutil.EmptyDatabase(t)
	const n = 3
	results := make([]database.MigrateResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := pgxpool.New(ctx, url) // one pool each, as separate processes would have
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			results[i], errs[i] = database.Migrate(ctx, pool, testutil.Logger())
		}()
	}
	wg.Wait()
	changed := 0
	for i := range n {
		require.NoError(t, errs[i])
		if results[i].Changed() {
			changed++
		}
	}
	require.Equal(t, 1, changed, "exactly one process applies the migrations")
}

func TestMigrate_RefusesDirtySchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := testutil.NewDatabase(t)
	_, err := pool.Exec(ctx, "UPDATE schema_migrations SET dirty = true")
	require.NoError(t, err)
	_, err = database.Migrate(ctx, pool, testutil.Logger())
	require.ErrorContains(t, err, "dirty")
	require.False(t, database.CheckStatus(ctx, pool).Current())
}

func TestConnect_UnreachableFailsAfterBoundedRetry(t *testing.T) {
	t.Parallel()
	start := time.Now()
	_, err := database.Connect(context.Background(), "postgres://postgres@127.0.0.1:1/x?sslmode=disable", 1500*time.Millisecond, testutil.Logger())
	require.ErrorContains(t, err, "cannot reach the database at 127.0.0.1:1")
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestExpectedVersion_IsNewestEmbeddedMigration(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, database.ExpectedVersion(), int64(1))
}
