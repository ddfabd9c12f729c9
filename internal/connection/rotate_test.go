package connection_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connection"
	"github.com/datanika/datanika/internal/secrets"
	"github.com/datanika/datanika/internal/testutil"
)

func TestRotateKeys_ResealsEveryConnectionUnderTheActiveKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	owner, _ := testutil.NewDatabase(t)
	oldKey := secrets.Key{ID: "old", Key: bytes.Repeat([]byte{1}, 32)}
	newKey := secrets.Key{ID: "new", Key: bytes.Repeat([]byte{2}, 32)}
	before, _ := secrets.NewKeyring([]secrets.Key{oldKey})
	sealed, err := before.Seal([]byte(`{"password":"p"}`), []byte("org:1/connection"))
	require.NoError(t, err)
	_, err = owner.Exec(ctx, `INSERT INTO organizations (name, slug) VALUES ('A', 'org-a'), ('B', 'org-b')`)
	require.NoError(t, err)
	_, err = owner.Exec(ctx, `INSERT INTO connections (org_id, name, type, direction, config_sealed) VALUES (1, 'a', 'postgres', 'both', $1), (2, 'b', 'postgres', 'both', $1)`, sealed)
	require.NoError(t, err)

	during, _ := secrets.NewKeyring([]secrets.Key{newKey, oldKey})
	changed, total, err := connection.RotateKeys(ctx, owner, during)
	require.NoError(t, err)
	require.Equal(t, 2, total)
	require.Equal(t, 2, changed)
	changed, _, err = connection.RotateKeys(ctx, owner, during)
	require.NoError(t, err)
	require.Zero(t, changed, "a second run has nothing left to do")

	after, _ := secrets.NewKeyring([]secrets.Key{newKey})
	var resealed []byte
	require.NoError(t, owner.QueryRow(ctx, "SELECT config_sealed FROM connections WHERE org_id = 1").Scan(&resealed))
	plain, err := after.Open(resealed, []byte("org:1/connection"))
	require.NoError(t, err)
	require.JSONEq(t, `{"password":"p"}`, string(plain))
}

func TestRotateKeys_AnUnknownKeyStopsWithoutChangingAnything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	owner, _ := testutil.NewDatabase(t)
	stranger, _ := secrets.NewKeyring([]secrets.Key{{ID: "gone", Key: bytes.Repeat([]byte{3}, 32)}})
	sealed, _ := stranger.Seal([]byte(`{}`), []byte("org:1/connection"))
	_, err := owner.Exec(ctx, `INSERT INTO organizations (name, slug) VALUES ('A', 'org-a')`)
	require.NoError(t, err)
	_, err = owner.Exec(ctx, `INSERT INTO connections (org_id, name, type, direction, config_sealed) VALUES (1, 'a', 'postgres', 'both', $1)`, sealed)
	require.NoError(t, err)
	current, _ := secrets.NewKeyring([]secrets.Key{{ID: "k1", Key: bytes.Repeat([]byte{4}, 32)}})
	_, _, err = connection.RotateKeys(ctx, owner, current)
	require.ErrorIs(t, err, secrets.ErrUnknownKey)
	var still []byte
	require.NoError(t, owner.QueryRow(ctx, "SELECT config_sealed FROM connections").Scan(&still))
	require.Equal(t, sealed, still)
}
