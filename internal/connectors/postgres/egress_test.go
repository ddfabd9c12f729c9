package postgres

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/egress"
)

// The egress policy plugs in as the Env's Dialer and decides at dial time.
func TestPostgres_EgressPolicyDecidesAtDialTime(t *testing.T) {
	t.Parallel()
	l := setupLive(t)

	strict, err := egress.New(false, "")
	require.NoError(t, err)
	res := newConnector(t, l.conf, connectors.Env{Dialer: strict.Dialer(connectors.TestTimeout)}).Test(context.Background())
	require.False(t, res.OK, "a loopback database is denied when private addresses are not allowed")
	require.Contains(t, res.Message, "denied")

	open, err := egress.New(true, "")
	require.NoError(t, err)
	res = newConnector(t, l.conf, connectors.Env{Dialer: open.Dialer(connectors.TestTimeout)}).Test(context.Background())
	require.True(t, res.OK, res.Message)
}
