package connectors_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

func TestProbe_FailureMessageHasNoSecret(t *testing.T) {
	t.Parallel()
	res := connectors.Probe(context.Background(), []string{"s3cret"}, func(context.Context) error {
		return errors.New("auth failed for password s3cret")
	})
	require.False(t, res.OK)
	require.NotContains(t, res.Message, "s3cret")
	require.Contains(t, res.Message, "auth failed")
}

func TestProbe_AnswersWithinTheCallersDeadline(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := connectors.Probe(ctx, nil, func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	require.Less(t, time.Since(start), time.Second)
	require.False(t, res.OK)
	require.Contains(t, res.Message, "no answer within")
}

func TestProbe_SuccessReportsLatency(t *testing.T) {
	t.Parallel()
	res := connectors.Probe(context.Background(), nil, func(context.Context) error {
		time.Sleep(20 * time.Millisecond)
		return nil
	})
	require.True(t, res.OK)
	require.GreaterOrEqual(t, res.LatencyMS, int64(20))
}

func TestScrubError_KeepsTimeoutsRecognisable(t *testing.T) {
	t.Parallel()
	err := connectors.ScrubError(errors.Join(errors.New("pw=abc"), context.DeadlineExceeded), []string{"abc"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotContains(t, err.Error(), "abc")
}

func TestProbe_BoundsTheTestByTestTimeout(t *testing.T) {
	t.Parallel()
	var deadline time.Time
	connectors.Probe(context.Background(), nil, func(ctx context.Context) error {
		var ok bool
		deadline, ok = ctx.Deadline()
		require.True(t, ok, "a test without a caller deadline still ends")
		return nil
	})
	require.WithinDuration(t, time.Now().Add(connectors.TestTimeout), deadline, time.Second)
}
