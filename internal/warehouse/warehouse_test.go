package warehouse_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/testutil"
	"github.com/datanika/datanika/internal/warehouse"
)

func installationID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func connectAs(ctx context.Context, c warehouse.Credentials, database string) error {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(c.User, c.Password), Host: fmt.Sprintf("%s:%d", c.Host, c.Port), Path: "/" + database, RawQuery: "sslmode=disable&connect_timeout=5"}
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	var one int
	return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
}

func TestWarehouse_EachOrgReachesOnlyItsOwnDatabase(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := warehouse.New(testutil.AdminURL(), installationID())
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = p.Drop(context.Background(), 1)
		_ = p.Drop(context.Background(), 2)
	})
	a, err := p.Ensure(ctx, 1)
	require.NoError(t, err)
	b, err := p.Ensure(ctx, 2)
	require.NoError(t, err)
	require.Equal(t, p.Name(1), a.Database)
	require.Equal(t, a.Database, a.User)
	require.NotEqual(t, a.Password, b.Password)

	require.NoError(t, connectAs(ctx, a, a.Database))
	require.ErrorContains(t, connectAs(ctx, a, b.Database), "permission denied")

	// Nor the metadata database: its migrations revoke CONNECT from PUBLIC. (Migrated for real
	// here: a database cloned from a template does not inherit database privileges.)
	metadataURL := testutil.EmptyDatabase(t)
	pool, err := pgxpool.New(ctx, metadataURL)
	require.NoError(t, err)
	_, err = database.Migrate(ctx, pool, testutil.Logger())
	pool.Close()
	require.NoError(t, err)
	u, err := url.Parse(metadataURL)
	require.NoError(t, err)
	require.ErrorContains(t, connectAs(ctx, a, u.Path[1:]), "permission denied")

	// The role can build in its own database, and nothing else of the server is its.
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", a.User, a.Password, a.Host, a.Port, a.Database))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE SCHEMA analytics; CREATE TABLE analytics.t (id int)")
	require.NoError(t, err)
	var super bool
	require.NoError(t, conn.QueryRow(ctx, "SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = current_user").Scan(&super))
	require.False(t, super)
	_ = conn.Close(ctx)

	// Ensure again: same database, a new password (the old one no longer works where passwords are checked).
	again, err := p.Ensure(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, a.Database, again.Database)
	require.NotEqual(t, a.Password, again.Password)

	require.NoError(t, p.Drop(ctx, 1))
	require.Error(t, connectAs(ctx, again, again.Database))
}

func TestNew_RejectsBadSettings(t *testing.T) {
	t.Parallel()
	_, err := warehouse.New("postgres://x@h:notaport/db", "abcd1234")
	require.Error(t, err)
	_, err = warehouse.New(testutil.AdminURL(), "Bad-Id")
	require.Error(t, err)
}

// The warehouse admin is a role of its own, not a superuser and not the metadata database's
// owner (docker-compose.yml makes it so): CREATEDB and CREATEROLE are enough to provision and
// drop an org's warehouse, and it cannot connect to the metadata database. (Before the fix
// Ensure failed with such a role: "must be member of role dnk_…" when creating the database.)
func TestWarehouse_AnAdminWithOnlyCreatedbAndCreateroleProvisions(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, testutil.AdminURL())
	require.NoError(t, err)
	defer func() { _ = admin.Close(context.Background()) }()
	role := "dnk_wh_admin_" + installationID()
	_, err = admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN CREATEDB CREATEROLE PASSWORD 'admin-pass-for-test'")
	require.NoError(t, err)

	u, err := url.Parse(testutil.AdminURL())
	require.NoError(t, err)
	u.User = url.UserPassword(role, "admin-pass-for-test")
	u.Path = "/postgres"
	p, err := warehouse.New(u.String(), installationID())
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = p.Drop(context.Background(), 7)
		_, _ = admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
	})

	c, err := p.Ensure(ctx, 7)
	require.NoError(t, err)
	require.NoError(t, connectAs(ctx, c, c.Database))
	again, err := p.Ensure(ctx, 7)
	require.NoError(t, err)
	require.NoError(t, connectAs(ctx, again, again.Database))
	require.NoError(t, p.Drop(ctx, 7))
	require.Error(t, connectAs(ctx, again, again.Database))
}
