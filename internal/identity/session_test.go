package identity

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/testutil"
)

func TestMain(m *testing.M) {
	auth.BcryptCost = bcrypt.MinCost
	os.Exit(m.Run())
}

// setup is a service in a rolled-back transaction (the fast tier).
func setup(t *testing.T) *Service {
	t.Helper()
	return New(testutil.Tx(t), auth.NewTokens("test-secret-key-with-at-least-32-characters", nil), testutil.Logger())
}

func requireUnauthenticated(t *testing.T, err error) {
	t.Helper()
	var ae *apperr.Error
	require.ErrorAs(t, err, &ae)
	require.Equal(t, apperr.Unauthenticated, ae.Kind)
}

func TestAuthenticate_AnEndedSessionsAccessTokensAreRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name string
		end  func(t *testing.T, s *Service, one, two Session) (ended, live []Session)
	}{
		{"logout with the refresh token", func(t *testing.T, s *Service, one, two Session) ([]Session, []Session) {
			require.NoError(t, s.Logout(ctx, one.RefreshToken, ""))
			return []Session{one}, []Session{two}
		}},
		{"logout with the access token", func(t *testing.T, s *Service, one, two Session) ([]Session, []Session) {
			require.NoError(t, s.Logout(ctx, "", one.AccessToken))
			return []Session{one}, []Session{two}
		}},
		{"reuse of a rotated refresh token", func(t *testing.T, s *Service, one, two Session) ([]Session, []Session) {
			next, err := s.Refresh(ctx, one.RefreshToken)
			require.NoError(t, err)
			_, err = s.Refresh(ctx, one.RefreshToken)
			requireUnauthenticated(t, err)
			return []Session{one, next}, []Session{two}
		}},
		{"password change", func(t *testing.T, s *Service, one, two Session) ([]Session, []Session) {
			p, err := s.Authenticate(ctx, one.AccessToken)
			require.NoError(t, err)
			pw, current := "a brand new passphrase", "correct horse battery"
			_, err = s.UpdateMe(ctx, p, UpdateMeInput{Password: &pw, CurrentPassword: &current})
			require.NoError(t, err)
			return []Session{two}, []Session{one}
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			// Unique per case: parallel tests' uncommitted rows would make a second insert of
			// one email or slug wait for the first test's end.
			email := fmt.Sprintf("someone@s%d.example.com", i)
			one, err := s.Signup(ctx, SignupInput{Email: email, Password: "correct horse battery", FullName: fmt.Sprintf("Someone %d", i)}, "192.0.2.1")
			require.NoError(t, err)
			two, err := s.Login(ctx, email, "correct horse battery", "192.0.2.1")
			require.NoError(t, err)
			for _, sess := range []Session{one, two} {
				p, err := s.Authenticate(ctx, sess.AccessToken)
				require.NoError(t, err)
				require.NotZero(t, p.SessionID)
			}
			ended, live := c.end(t, s, one, two)
			for _, sess := range ended {
				_, err := s.Authenticate(ctx, sess.AccessToken)
				requireUnauthenticated(t, err)
			}
			for _, sess := range live {
				_, err := s.Authenticate(ctx, sess.AccessToken)
				require.NoError(t, err)
			}
		})
	}
}

func TestTTLCache_ForgetsAfterItsTTL(t *testing.T) {
	t.Parallel()
	c := newTTLCache[int, string](50 * time.Millisecond)
	c.put(1, "one")
	c.put(2, "two")
	v, ok := c.get(1)
	require.True(t, ok)
	require.Equal(t, "one", v)
	c.forget(1)
	_, ok = c.get(1)
	require.False(t, ok)
	c.forgetIf(func(k int, _ string) bool { return k == 2 })
	_, ok = c.get(2)
	require.False(t, ok)
	c.put(3, "three")
	time.Sleep(60 * time.Millisecond)
	_, ok = c.get(3)
	require.False(t, ok, "an entry older than the TTL is not trusted")
}
