package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

const headerRequestID = "X-Request-Id"

type ctxKey int

const requestIDKey ctxKey = iota

// validRequestID accepts a caller's request id only when it is short and plain, so logs cannot
// be forged or flooded through it.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// requestID gives every request an id: the caller's X-Request-Id when sane, else a new one. It
// is echoed in the response header, stored in the request context and included in problems.
func requestID() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			rid := c.Request().Header.Get(headerRequestID)
			if !validRequestID.MatchString(rid) {
				b := make([]byte, 12)
				_, _ = rand.Read(b)
				rid = hex.EncodeToString(b)
			}
			c.Response().Header().Set(headerRequestID, rid)
			ctx := context.WithValue(c.Request().Context(), requestIDKey, rid)
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

func requestIDOf(c echo.Context) string {
	rid, _ := c.Request().Context().Value(requestIDKey).(string)
	return rid
}

// accessLog writes one structured line per request. Errors are written by the error handler
// first (so the status is final here).
func accessLog(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			req := c.Request()
			res := c.Response()
			level := slog.LevelInfo
			switch {
			case res.Status >= 500:
				level = slog.LevelError
			case req.URL.Path == "/healthz" || req.URL.Path == "/readyz" || req.URL.Path == "/metrics":
				level = slog.LevelDebug // probes every few seconds would drown the log
			}
			logger.Log(req.Context(), level, "http request",
				"request_id", requestIDOf(c),
				"method", req.Method,
				"path", req.URL.Path,
				"route", c.Path(),
				"status", res.Status,
				"bytes", res.Size,
				"duration_ms", time.Since(start).Milliseconds(),
				"remote_ip", c.RealIP(),
			)
			return nil
		}
	}
}

// httpMetrics are the HTTP series exported on /metrics.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "datanika_http_requests_total",
			Help: "HTTP requests by method, route template and status code.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "datanika_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route template.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "datanika_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.inFlight} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register HTTP metrics: %w", err)
		}
	}
	return m, nil
}

// middleware labels requests by route template (c.Path()), never by raw path, so the number of
// series stays bounded whatever clients send.
func (m *httpMetrics) middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			m.inFlight.Inc()
			start := time.Now()
			err := next(c) // accessLog, inside, has already written any error
			m.inFlight.Dec()
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			method := c.Request().Method
			m.requests.WithLabelValues(method, route, strconv.Itoa(c.Response().Status)).Inc()
			m.duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
			return err
		}
	}
}

// CSP for the app: everything from this origin, no inline scripts. Swagger UI (at /api/docs)
// needs its own inline bootstrap script, so it gets a looser policy there only.
const (
	appCSP  = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
	docsCSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

// securityHeaders sets the headers every response carries. HSTS is set only in production,
// where Datanika is expected behind TLS.
func securityHeaders(production bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
			h.Set("Content-Security-Policy", appCSP)
			if production {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			return next(c)
		}
	}
}

// bodyLimit answers 413 when a request body is larger than limit bytes, whether or not it
// declares its length. Routes in perRoute (uploads) have their own limit.
func bodyLimit(limit int64, perRoute map[string]int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			limit := limit
			if l, ok := perRoute[c.Path()]; ok && l > 0 {
				limit = l
			}
			if req.ContentLength > limit {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
			}
			if req.Body != nil && req.Body != http.NoBody {
				req.Body = &limitedBody{ReadCloser: http.MaxBytesReader(c.Response(), req.Body, limit)}
			}
			return next(c)
		}
	}
}

// limitedBody turns http.MaxBytesReader's error into an Echo 413 for handlers that read the body.
type limitedBody struct {
	io.ReadCloser
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if err != nil && errors.As(err, &mbe) {
		return n, echo.NewHTTPError(http.StatusRequestEntityTooLarge).SetInternal(err)
	}
	return n, err
}
