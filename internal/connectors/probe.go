package connectors

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Probe runs a connection test: fn gets a context bounded by TestTimeout and reports whether
// the round trip worked. The answer carries the latency and, on failure, the error's message
// with secrets scrubbed. Connectors build their Test on it so every type answers alike.
func Probe(ctx context.Context, secrets []string, fn func(ctx context.Context) error) Result {
	ctx, cancel := context.WithTimeout(ctx, TestTimeout)
	defer cancel()
	start := time.Now()
	err := fn(ctx)
	latency := time.Since(start).Milliseconds()
	if err != nil {
		msg := err.Error()
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			msg = fmt.Sprintf("no answer within %s: %s", roundDuration(time.Since(start)), msg)
		}
		return Result{OK: false, Message: Scrub(msg, secrets), LatencyMS: latency}
	}
	return Result{OK: true, Message: "connected", LatencyMS: latency}
}

// ScrubError returns an error whose message is err's with secrets scrubbed. The cause is
// deliberately not wrapped: whoever prints the chain would print the secret again.
func ScrubError(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: Scrub(err.Error(), secrets), timeout: errors.Is(err, context.DeadlineExceeded)}
}

type scrubbedError struct {
	msg     string
	timeout bool
}

func (e *scrubbedError) Error() string { return e.msg }

// Is keeps errors.Is(err, context.DeadlineExceeded) working after scrubbing, so callers can
// still tell a timeout from a database error.
func (e *scrubbedError) Is(target error) bool {
	return e.timeout && target == context.DeadlineExceeded
}

func roundDuration(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
