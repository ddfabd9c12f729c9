package database_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/testutil"
)

func TestRLS_EveryTableWithAnOrgIDHasForcedRowLevelSecurity(t *testing.T) {
	t.Parallel()
	owner, _ := testutil.NewDatabase(t)
	rows, err := owner.Query(context.Background(), `
		SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
		WHERE c.relkind IN ('r', 'p')`)
	require.NoError(t, err)
	defer rows.Close()
	tables := 0
	for rows.Next() {
		var name string
		var enabled, forced bool
		require.NoError(t, rows.Scan(&name, &enabled, &forced))
		require.True(t, enabled && forced, "table %s has an org_id but no forced row-level security", name)
		tables++
	}
	require.NoError(t, rows.Err())
	require.GreaterOrEqual(t, tables, 5)
}

func TestRLS_AQueryWithoutOrgFilterSeesOnlyItsOrg(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	owner, url := testutil.NewDatabase(t)
	_, err := owner.Exec(ctx, `
		INSERT INTO organizations (name, slug) VALUES ('A', 'org-a'), ('B', 'org-b');
		INSERT INTO users (email, full_name) VALUES ('a@example.com', 'A'), ('b@example.com', 'B');
		INSERT INTO memberships (org_id, user_id, role) VALUES (1, 1, 'owner'), (2, 2, 'owner');
		INSERT INTO api_keys (org_id, created_by, name, prefix, key_hash, scopes) VALUES
			(1, 1, 'a', 'dnk_a', '\x01', '{read}'), (2, 2, 'b', 'dnk_b', '\x02', '{read}');
		INSERT INTO audit_logs (org_id, actor_type, action, resource_type) VALUES (1, 'system', 'x', 'y'), (2, 'system', 'x', 'y');
		INSERT INTO invitations (org_id, email, role, token_hash, invited_by, expires_at) VALUES
			(1, 'i@example.com', 'viewer', '\x03', 1, now() + interval '1 day'), (2, 'j@example.com', 'viewer', '\x04', 2, now() + interval '1 day');
		INSERT INTO refresh_tokens (org_id, user_id, token_hash, family, expires_at) VALUES
			(1, 1, '\x05', gen_random_uuid(), now() + interval '1 day'), (2, 2, '\x06', gen_random_uuid(), now() + interval '1 day');`)
	require.NoError(t, err)

	app := testutil.AppPool(t, url)
	tables := []string{"memberships", "api_keys", "audit_logs", "invitations", "refresh_tokens"}

	// Scoped to org A (as user A): every unfiltered read returns A's rows only.
	require.NoError(t, database.InTx(ctx, app, database.Scope{OrgID: 1, UserID: 1}, func(tx pgx.Tx) error {
		for _, table := range tables {
			var orgs []int64
			rows, err := tx.Query(ctx, "SELECT org_id FROM "+table)
			require.NoError(t, err)
			for rows.Next() {
				var id int64
				require.NoError(t, rows.Scan(&id))
				orgs = append(orgs, id)
			}
			require.NoError(t, rows.Err())
			require.Equal(t, []int64{1}, orgs, table)
		}
		return nil
	}))

	// Writing into another org is refused by the policy's check.
	err = database.InTx(ctx, app, database.Scope{OrgID: 1, UserID: 1}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO audit_logs (org_id, actor_type, action, resource_type) VALUES (2, 'system', 'x', 'y')")
		return err
	})
	require.ErrorContains(t, err, "row-level security")

	// With no scope at all, nothing is visible.
	require.NoError(t, database.InTx(ctx, app, database.Scope{}, func(tx pgx.Tx) error {
		for _, table := range tables {
			var n int
			require.NoError(t, tx.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n))
			require.Zero(t, n, table)
		}
		return nil
	}))
}

func TestRLS_TheAppRoleCannotRewriteTheAuditLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	owner, url := testutil.NewDatabase(t)
	_, err := owner.Exec(ctx, `
		INSERT INTO organizations (name, slug) VALUES ('A', 'org-a');
		INSERT INTO audit_logs (org_id, actor_type, action, resource_type) VALUES (1, 'system', 'x', 'y');`)
	require.NoError(t, err)
	app := testutil.AppPool(t, url)
	for _, stmt := range []string{"UPDATE audit_logs SET action = 'forged'", "DELETE FROM audit_logs", "TRUNCATE audit_logs"} {
		err := database.InTx(ctx, app, database.Scope{OrgID: 1}, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, stmt)
			return err
		})
		require.ErrorContains(t, err, "permission denied", stmt)
	}
}
