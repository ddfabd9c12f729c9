package secrets_test

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/secrets"
)

func key(id string) secrets.Key {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return secrets.Key{ID: id, Key: b}
}

func TestSeal_RoundTripsAndNeverContainsThePlaintext(t *testing.T) {
	t.Parallel()
	kr, err := secrets.NewKeyring([]secrets.Key{key("k1")})
	require.NoError(t, err)
	plaintext := []byte(`{"password":"hunter2-very-secret"}`)
	sealed, err := kr.Seal(plaintext, []byte("org:1/connection"))
	require.NoError(t, err)
	require.False(t, bytes.Contains(sealed, []byte("hunter2")))
	again, err := kr.Seal(plaintext, []byte("org:1/connection"))
	require.NoError(t, err)
	require.NotEqual(t, sealed, again, "a fresh data key and nonces every time")

	opened, err := kr.Open(sealed, []byte("org:1/connection"))
	require.NoError(t, err)
	require.Equal(t, plaintext, opened)
	id, err := secrets.KeyID(sealed)
	require.NoError(t, err)
	require.Equal(t, "k1", id)
}

func TestOpen_WrongKeyOrContextOrTamperingIsACleanError(t *testing.T) {
	t.Parallel()
	k1 := key("k1")
	kr, _ := secrets.NewKeyring([]secrets.Key{k1})
	sealed, err := kr.Seal([]byte("secret"), []byte("org:1"))
	require.NoError(t, err)

	_, err = kr.Open(sealed, []byte("org:2"))
	require.ErrorIs(t, err, secrets.ErrDecrypt, "a record moved to another org does not open")

	impostor, _ := secrets.NewKeyring([]secrets.Key{key("k1")}) // same id, other key
	_, err = impostor.Open(sealed, []byte("org:1"))
	require.ErrorIs(t, err, secrets.ErrDecrypt)

	other, _ := secrets.NewKeyring([]secrets.Key{key("k9")})
	_, err = other.Open(sealed, []byte("org:1"))
	require.ErrorIs(t, err, secrets.ErrUnknownKey)
	require.NotContains(t, err.Error(), "secret")

	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	_, err = kr.Open(tampered, []byte("org:1"))
	require.ErrorIs(t, err, secrets.ErrDecrypt)

	_, err = kr.Open([]byte("not sealed"), nil)
	require.ErrorIs(t, err, secrets.ErrMalformed)
	_, err = kr.Open(sealed[:20], []byte("org:1"))
	require.ErrorIs(t, err, secrets.ErrMalformed)
}

func TestRewrap_MovesRecordsToTheActiveKey(t *testing.T) {
	t.Parallel()
	oldKey, newKey := key("old"), key("new")
	before, _ := secrets.NewKeyring([]secrets.Key{oldKey})
	sealed, err := before.Seal([]byte("secret"), []byte("ctx"))
	require.NoError(t, err)

	// Rotation: the new key first (active), the old one kept to open old records.
	during, _ := secrets.NewKeyring([]secrets.Key{newKey, oldKey})
	require.Equal(t, "new", during.ActiveKeyID())
	rewrapped, changed, err := during.Rewrap(sealed)
	require.NoError(t, err)
	require.True(t, changed)
	id, _ := secrets.KeyID(rewrapped)
	require.Equal(t, "new", id)
	_, changed, err = during.Rewrap(rewrapped)
	require.NoError(t, err)
	require.False(t, changed)

	// Once rewrapped, the old key can go.
	after, _ := secrets.NewKeyring([]secrets.Key{newKey})
	opened, err := after.Open(rewrapped, []byte("ctx"))
	require.NoError(t, err)
	require.Equal(t, []byte("secret"), opened)
	_, err = after.Open(sealed, []byte("ctx"))
	require.ErrorIs(t, err, secrets.ErrUnknownKey)
}

func TestNewKeyring_RejectsBadKeys(t *testing.T) {
	t.Parallel()
	_, err := secrets.NewKeyring(nil)
	require.Error(t, err)
	_, err = secrets.NewKeyring([]secrets.Key{{ID: "short", Key: []byte("x")}})
	require.Error(t, err)
}

func FuzzOpen_NeverPanics(f *testing.F) {
	kr, _ := secrets.NewKeyring([]secrets.Key{key("k1")})
	sealed, _ := kr.Seal([]byte("x"), nil)
	f.Add(sealed)
	f.Add([]byte("dnk1\x05k1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = kr.Open(b, nil)
		_, _, _ = kr.Rewrap(b)
	})
}
