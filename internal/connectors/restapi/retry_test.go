package restapi

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// flaky fails the first n requests with status (and headers), then answers records.
func flaky(t *testing.T, n int64, status int, header map[string]string) (*server, *atomic.Int64) {
	var calls atomic.Int64
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) <= n {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			http.Error(w, "try later", status)
			return
		}
		writeJSON(w, items(1, 2))
	})
	return s, &calls
}

func retryConfig(base string, attempts int, backoff float64) map[string]any {
	return config(base, "/items", map[string]any{"retry": map[string]any{"max_attempts": attempts, "backoff_seconds": backoff}})
}

func TestRetry_429HonoursRetryAfter(t *testing.T) {
	t.Parallel()
	s, calls := flaky(t, 1, http.StatusTooManyRequests, map[string]string{"Retry-After": "1"})
	// No backoff of our own: only Retry-After can make the read wait.
	c := open(t, retryConfig(s.URL, 3, 0), openPolicy(t))
	start := time.Now()
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Equal(t, int64(2), calls.Load())
	require.GreaterOrEqual(t, time.Since(start), 950*time.Millisecond)
}

func TestRetry_503ThenSuccess(t *testing.T) {
	t.Parallel()
	s, calls := flaky(t, 2, http.StatusServiceUnavailable, nil)
	c := open(t, retryConfig(s.URL, 3, 0.01), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Equal(t, int64(3), calls.Load())
}

func TestRetry_GivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	s, calls := flaky(t, 100, http.StatusBadGateway, nil)
	c := open(t, retryConfig(s.URL, 3, 0.01), openPolicy(t))
	_, _, err := readAll(t, c, "items", State{})
	require.ErrorContains(t, err, "gave up after 3 attempts")
	require.ErrorContains(t, err, "HTTP 502 Bad Gateway: try later")
	require.ErrorContains(t, err, "resource items, page 1")
	var herr *HTTPError
	require.ErrorAs(t, err, &herr)
	require.Equal(t, http.StatusBadGateway, herr.StatusCode)
	require.Equal(t, int64(3), calls.Load())
}

func TestRetry_ClientErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	s, calls := flaky(t, 100, http.StatusNotFound, nil)
	c := open(t, retryConfig(s.URL, 5, 0.01), openPolicy(t))
	_, _, err := readAll(t, c, "items", State{})
	require.ErrorContains(t, err, "HTTP 404")
	require.NotContains(t, err.Error(), "gave up")
	require.Equal(t, int64(1), calls.Load())
}

func TestRetry_NetworkErrorIsRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close() // the connection drops before any answer
			}
			return
		}
		writeJSON(w, items(1, 1))
	})
	c := open(t, retryConfig(s.URL, 3, 0.01), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.Equal(t, int64(2), calls.Load())
}

func TestRetry_CancellationEndsTheBackoff(t *testing.T) {
	t.Parallel()
	s, calls := flaky(t, 100, http.StatusServiceUnavailable, map[string]string{"Retry-After": "60"})
	c := open(t, retryConfig(s.URL, 5, 30), openPolicy(t))
	ctx, cancel := context.WithCancel(context.Background())
	recs, err := c.Read(ctx, "items", State{})
	require.NoError(t, err)
	defer func() { _ = recs.Close() }()
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	require.False(t, recs.Next())
	require.Less(t, time.Since(start), 5*time.Second, "the wait ends with the context")
	require.ErrorIs(t, recs.Err(), context.Canceled)
	require.Equal(t, int64(1), calls.Load())
}

func TestRetry_RateLimitSpacesRequests(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		page, recs := pageOf(r, 1, 5)
		next := any(nil)
		if page < 5 {
			next = "/items?page=" + strconv.Itoa(page+1)
		}
		writeJSON(w, map[string]any{"data": recs, "next": next})
	})
	c := open(t, config(s.URL, "/items", map[string]any{"rate_limit": map[string]any{"requests_per_second": 20}}), openPolicy(t))
	start := time.Now()
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Len(t, recs, 5)
	require.GreaterOrEqual(t, time.Since(start), 190*time.Millisecond, "5 requests at 20/s take at least 4 intervals")
}

func TestRetry_ParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	require.Equal(t, 3*time.Second, parseRetryAfter("3", now))
	require.Equal(t, time.Duration(0), parseRetryAfter("0", now))
	require.Equal(t, 10*time.Second, parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now))
	require.Equal(t, time.Duration(0), parseRetryAfter("Tue, 31 Dec 2024 00:00:10 GMT", now), "a past date: at once")
	require.Equal(t, maxRetryWait, parseRetryAfter("99999999", now))
	require.Negative(t, parseRetryAfter("", now))
	require.Negative(t, parseRetryAfter("soon", now))
	require.Negative(t, parseRetryAfter("-4", now))
}

func TestRetry_BackoffGrowsWithJitterAndCap(t *testing.T) {
	t.Parallel()
	c := &Connector{cfg: Config{Retry: Retry{BackoffSeconds: 1}}, backoffUnit: time.Second}
	for attempt, full := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 10: time.Minute} {
		for range 20 {
			d := c.backoff(attempt)
			require.GreaterOrEqual(t, d, full/2, "attempt %d", attempt)
			require.LessOrEqual(t, d, full, "attempt %d", attempt)
		}
	}
	c.cfg.Retry.BackoffSeconds = 0
	require.Zero(t, c.backoff(3))
}
