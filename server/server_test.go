package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika"
	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/blob"
	"github.com/datanika/datanika/internal/connectors/standard"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/secrets"
	"github.com/datanika/datanika/internal/testutil"
)

var testApp = fstest.MapFS{
	"index.html":    {Data: []byte("<!doctype html><title>Datanika</title><div id=root></div>")},
	"assets/app.js": {Data: []byte("console.log('app')")},
	"favicon.svg":   {Data: []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")},
}

type testServer struct {
	e    *echo.Echo
	pool *pgxpool.Pool
}

type option func(*Deps)

// setup serves a fresh migrated database through the app role, as `datanika serve` does.
// setup is the fast tier: the server's services run on one transaction, rolled back when the
// test ends (testutil.Tx), so a test costs a BEGIN, not a database. Use it for every test that
// talks to the server only through HTTP; testServer.pool is nil here (nothing may be committed
// to the shared database). A test that reads or writes the database directly, observes a
// commit (two connections), or needs River working jobs uses setupDB.
func setup(t testing.TB, opts ...option) *testServer {
	t.Helper()
	tx := testutil.Tx(t)
	s := setupWithPool(t, testutil.SharedPool(t), append([]option{func(d *Deps) { d.DB = tx }}, opts...)...)
	s.pool = nil
	return s
}

// setupDB is the database tier: a database of the test's own, cloned from the migrated
// template, on the app role's pool (testServer.pool).
func setupDB(t testing.TB, opts ...option) *testServer {
	t.Helper()
	_, url := testutil.NewDatabase(t)
	return setupWithPool(t, testutil.AppPool(t, url), opts...)
}

func setupWithPool(t testing.TB, pool *pgxpool.Pool, opts ...option) *testServer {
	t.Helper()
	d := Deps{
		Pool:           pool,
		Logger:         testutil.Logger(),
		Spec:           datanika.OpenAPISpec,
		App:            testApp,
		Registry:       prometheus.NewRegistry(),
		MaxBodyBytes:   1024,
		SecretKey:      "test-secret-key-with-at-least-32-characters",
		PublicURL:      "http://datanika.test",
		MaxUploadBytes: 1 << 20,
		Connectors:     standard.Registry(),
	}
	blobs, err := blob.NewDir(t.TempDir())
	require.NoError(t, err)
	d.Blobs = blobs
	d.Keyring, err = secrets.NewKeyring([]secrets.Key{{ID: "test", Key: bytes.Repeat([]byte{7}, 32)}})
	require.NoError(t, err)
	d.Egress, err = egress.New(true, "") // tests connect to the databases on this machine
	require.NoError(t, err)
	for _, o := range opts {
		o(&d)
	}
	e, err := New(d)
	require.NoError(t, err)
	return &testServer{e: e, pool: pool}
}

func (s *testServer) do(t testing.TB, method, target string, body io.Reader, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder, status int) api.Problem {
	t.Helper()
	require.Equal(t, status, rec.Code, rec.Body.String())
	require.Equal(t, problemContentType, rec.Header().Get("Content-Type"))
	var p api.Problem
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	require.Equal(t, int32(status), p.Status)
	require.NotEmpty(t, p.Title)
	require.True(t, strings.HasPrefix(p.Type, "urn:datanika:problem:"), p.Type)
	require.NotNil(t, p.Code)
	require.NotNil(t, p.RequestId)
	require.Equal(t, rec.Header().Get(headerRequestID), *p.RequestId)
	return p
}

func TestHealthz_AnswersOK(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rec := s.do(t, http.MethodGet, "/healthz", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"status":"ok"}`, rec.Body.String())
}

func TestReadyz_MigratedDatabaseIsReadyWithVersion(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	rec := s.do(t, http.MethodGet, "/readyz", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var r api.Readiness
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r))
	require.Equal(t, api.ReadinessStatusReady, r.Status)
	require.True(t, r.Database.Ok)
	require.True(t, r.Migrations.Ok)
	require.Equal(t, database.ExpectedVersion(), r.Migrations.Version)
	require.Equal(t, database.ExpectedVersion(), r.Migrations.ExpectedVersion)
	require.NotNil(t, r.Migrations.QueueVersion)
	require.Positive(t, *r.Migrations.QueueVersion)
	require.Nil(t, r.WorkerHeartbeatAt, "no worker has run in this database")
}

func TestReadyz_UnmigratedDatabaseIsNotReady(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), testutil.EmptyDatabase(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s := setupWithPool(t, pool)
	rec := s.do(t, http.MethodGet, "/readyz", nil)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	var r api.Readiness
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r))
	require.Equal(t, api.ReadinessStatusNotReady, r.Status)
	require.True(t, r.Database.Ok)
	require.False(t, r.Migrations.Ok)
	require.Zero(t, r.Migrations.Version)
}

func TestReadyz_UnreachableDatabaseAnswers503Quickly(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s := setupWithPool(t, pool)
	start := time.Now()
	rec := s.do(t, http.MethodGet, "/readyz", nil)
	require.Less(t, time.Since(start), readinessTimeout+time.Second)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	var r api.Readiness
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r))
	require.False(t, r.Database.Ok)
	require.NotNil(t, r.Database.Message)
}

func TestVersion_ReportsBuild(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rec := s.do(t, http.MethodGet, "/api/v1/version", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	var v api.Version
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &v))
	require.NotEmpty(t, v.Version)
	require.True(t, strings.HasPrefix(v.GoVersion, "go"))
}

func TestOpenAPISpec_ServedByteForByte(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rec := s.do(t, http.MethodGet, "/api/v1/openapi.yaml", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "application/yaml", rec.Header().Get("Content-Type"))
	require.Equal(t, datanika.OpenAPISpec, rec.Body.Bytes())
}

func TestDocs_RenderedFromBundledAssets(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rec := s.do(t, http.MethodGet, "/api/docs", nil)
	require.Equal(t, http.StatusMovedPermanently, rec.Code)
	require.Equal(t, "/api/docs/", rec.Header().Get("Location"))

	rec = s.do(t, http.MethodGet, "/api/docs/", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	html := rec.Body.String()
	require.Contains(t, html, "/api/v1/openapi.yaml")
	require.Contains(t, html, "swagger-ui")
	require.NotRegexp(t, `(src|href)="https?://`, html, "no asset may come from a CDN")
	require.Contains(t, rec.Header().Get("Content-Security-Policy"), "script-src 'self' 'unsafe-inline'")

	rec = s.do(t, http.MethodGet, "/api/docs/swagger-ui-bundle.js", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Greater(t, rec.Body.Len(), 100_000)
}

func TestUnknownAPIPaths_AnswerProblem404ForEveryMethod(t *testing.T) {
	t.Parallel()
	s := setup(t)
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodPatch} {
		for _, target := range []string{"/api/v1/nope", "/api", "/api/v2/pipelines/1"} {
			rec := s.do(t, method, target, nil)
			p := decodeProblem(t, rec, http.StatusNotFound)
			require.Equal(t, api.ErrorCodeNotFound, *p.Code)
			require.Equal(t, target, *p.Instance)
			require.NotContains(t, rec.Body.String(), "<html", "the API never falls back to the app")
		}
	}
}

func TestWrongMethod_AnswersProblem405(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rec := s.do(t, http.MethodPost, "/api/v1/version", nil)
	p := decodeProblem(t, rec, http.StatusMethodNotAllowed)
	require.Equal(t, api.ErrorCodeMethodNotAllowed, *p.Code)
	require.Contains(t, rec.Header().Get("Allow"), http.MethodGet)
}

func TestApp_DeepLinksServeIndex(t *testing.T) {
	t.Parallel()
	s := setup(t)
	for _, target := range []string{"/", "/pipelines", "/pipelines/12/runs", "/settings/members?tab=1"} {
		rec := s.do(t, http.MethodGet, target, nil)
		require.Equal(t, http.StatusOK, rec.Code, target)
		require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
		require.Contains(t, rec.Body.String(), "<div id=root>")
		require.Equal(t, "no-cache", rec.Header().Get("Cache-Control"))
		require.Contains(t, rec.Header().Get("Content-Security-Policy"), "script-src 'self';")
	}
}

func TestApp_ServesAssetsAndRejectsMissingOnes(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rec := s.do(t, http.MethodGet, "/assets/app.js", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "console.log('app')", rec.Body.String())
	require.Contains(t, rec.Header().Get("Content-Type"), "javascript")
	require.Equal(t, "public, max-age=31536000, immutable", rec.Header().Get("Cache-Control"))

	rec = s.do(t, http.MethodGet, "/favicon.svg", nil)
	require.Equal(t, http.StatusOK, rec.Code)

	decodeProblem(t, s.do(t, http.MethodGet, "/assets/stale-1234.js", nil), http.StatusNotFound)
	decodeProblem(t, s.do(t, http.MethodGet, "/../../etc/passwd.txt", nil), http.StatusNotFound)
}

func TestApp_PlaceholderWhenNotBuilt(t *testing.T) {
	t.Parallel()
	s := setup(t, func(d *Deps) {
		d.App = fstest.MapFS{"placeholder.html": {Data: []byte("<p>run make build</p>")}}
	})
	rec := s.do(t, http.MethodGet, "/dashboard", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), "run make build")
}

func TestMetrics_ExposeRuntimeHTTPAndQueue(t *testing.T) {
	t.Parallel()
	pool, _ := testutil.NewDatabase(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector())
	s := setupWithPool(t, pool, func(d *Deps) { d.Registry = reg })
	s.do(t, http.MethodGet, "/healthz", nil)
	s.do(t, http.MethodGet, "/api/v1/nope", nil)

	rec := s.do(t, http.MethodGet, "/metrics", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Header().Get("Content-Type"), "text/plain")
	body := rec.Body.String()
	require.Contains(t, body, `datanika_http_requests_total{method="GET",route="/healthz",status="200"} 1`)
	require.Contains(t, body, `datanika_http_requests_total{method="GET",route="/api/*",status="404"} 1`)
	require.Contains(t, body, "datanika_http_request_duration_seconds_bucket")
	require.Contains(t, body, "go_goroutines")
}

func TestBodyLimit_OversizedBodiesAnswer413(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.e.POST("/api/v1/test-bind", func(c echo.Context) error {
		var v map[string]any
		if err := c.Bind(&v); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, v)
	})
	big := `{"a":"` + strings.Repeat("x", 2048) + `"}`

	// Declared length over the limit.
	rec := s.do(t, http.MethodPost, "/api/v1/test-bind", strings.NewReader(big), "Content-Type", "application/json")
	p := decodeProblem(t, rec, http.StatusRequestEntityTooLarge)
	require.Equal(t, api.ErrorCodePayloadTooLarge, *p.Code)

	// Undeclared length (chunked): caught while reading.
	req := httptest.NewRequest(http.MethodPost, "/api/v1/test-bind", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	decodeProblem(t, rec, http.StatusRequestEntityTooLarge)

	// Malformed JSON within the limit.
	rec = s.do(t, http.MethodPost, "/api/v1/test-bind", strings.NewReader(`{"a":`), "Content-Type", "application/json")
	p = decodeProblem(t, rec, http.StatusBadRequest)
	require.Equal(t, api.ErrorCodeBadRequest, *p.Code)

	rec = s.do(t, http.MethodPost, "/api/v1/test-bind", strings.NewReader(`{"a":1}`), "Content-Type", "application/json")
	require.Equal(t, http.StatusOK, rec.Code)
}

func TestPanic_AnswersProblem500WithoutLeaking(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.e.GET("/api/v1/test-panic", func(echo.Context) error { panic("secret internal state") })
	rec := s.do(t, http.MethodGet, "/api/v1/test-panic", nil)
	p := decodeProblem(t, rec, http.StatusInternalServerError)
	require.Equal(t, api.ErrorCodeInternal, *p.Code)
	require.NotContains(t, rec.Body.String(), "secret internal state")
	require.NotContains(t, rec.Body.String(), "goroutine")
}

func TestSecurityHeaders_OnEveryResponse(t *testing.T) {
	t.Parallel()
	s := setup(t, func(d *Deps) { d.Production = true })
	for _, target := range []string{"/", "/api/v1/version", "/api/v1/nope"} {
		rec := s.do(t, http.MethodGet, target, nil)
		h := rec.Header()
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), target)
		require.Equal(t, "DENY", h.Get("X-Frame-Options"), target)
		require.NotEmpty(t, h.Get("Content-Security-Policy"), target)
		require.NotEmpty(t, h.Get("Referrer-Policy"), target)
		require.Contains(t, h.Get("Strict-Transport-Security"), "max-age=", target)
	}
}

func TestRequestID_KeepsSaneCallerIDAndReplacesOthers(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rec := s.do(t, http.MethodGet, "/api/v1/nope", nil, headerRequestID, "ci-run-42")
	require.Equal(t, "ci-run-42", rec.Header().Get(headerRequestID))
	require.Equal(t, "ci-run-42", *decodeProblem(t, rec, http.StatusNotFound).RequestId)

	rec = s.do(t, http.MethodGet, "/healthz", nil, headerRequestID, "bad id\nwith newline")
	require.Regexp(t, `^[0-9a-f]{24}$`, rec.Header().Get(headerRequestID))
}

func TestWorkerRole_ServesOnlyOperationsEndpoints(t *testing.T) {
	t.Parallel()
	s := setup(t, func(d *Deps) { d.OperationsOnly = true })
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/healthz", nil).Code)
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/readyz", nil).Code)
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/metrics", nil).Code)
	decodeProblem(t, s.do(t, http.MethodGet, "/api/v1/version", nil), http.StatusNotFound)
	decodeProblem(t, s.do(t, http.MethodGet, "/", nil), http.StatusNotFound)
}

func TestHead_OnAppAndErrors(t *testing.T) {
	t.Parallel()
	s := setup(t)
	rec := s.do(t, http.MethodHead, "/pipelines", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	rec = s.do(t, http.MethodHead, "/api/v1/nope", nil)
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Zero(t, rec.Body.Len())
}
