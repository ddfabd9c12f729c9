package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/idempotency"
	"github.com/datanika/datanika/internal/testutil"
)

// idem sends a JSON POST with an Idempotency-Key, as a client retrying would.
func (s *testServer) idem(t testing.TB, path, token, key string, body any) *httptest.ResponseRecorder {
	t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	return s.do(t, http.MethodPost, path, bytes.NewReader(raw),
		"Content-Type", "application/json", "Authorization", "Bearer "+token, "Idempotency-Key", key)
}

func connectionBody(name string) map[string]any {
	return map[string]any{"name": name, "type": "postgres", "config": localPostgres("idem-secret")}
}

func countConnections(t *testing.T, s *testServer, token string) int {
	t.Helper()
	return len(decode[api.ConnectionList](t, s.call(t, http.MethodGet, "/api/v1/connections", token, nil), http.StatusOK).Items)
}

func TestIdempotency_ReplayAnswersTheFirstResponseWithoutActingTwice(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)

	first := s.idem(t, "/api/v1/connections", f.editor.AccessToken, "create-warehouse-1", connectionBody("Warehouse"))
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	require.Empty(t, first.Header().Get("Idempotent-Replayed"))
	again := s.idem(t, "/api/v1/connections", f.editor.AccessToken, "create-warehouse-1", connectionBody("Warehouse"))
	require.Equal(t, http.StatusCreated, again.Code)
	require.Equal(t, first.Body.String(), again.Body.String())
	require.Equal(t, "application/json", again.Header().Get("Content-Type"))
	require.Equal(t, "true", again.Header().Get("Idempotent-Replayed"))
	require.Equal(t, 1, countConnections(t, s, f.viewer.AccessToken))

	// Without a key, the same request acts (here: a duplicate name).
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/connections", f.editor.AccessToken, connectionBody("Warehouse")), http.StatusConflict)

	// A client error is an answer too: replayed as it was.
	bad := map[string]any{"name": "Bad", "type": "postgres", "config": map[string]any{"host": "db"}}
	rec1 := s.idem(t, "/api/v1/connections", f.editor.AccessToken, "bad-1", bad)
	decodeProblem(t, rec1, http.StatusUnprocessableEntity)
	// The replay is the stored answer byte for byte (its request_id names the first request).
	rec := s.idem(t, "/api/v1/connections", f.editor.AccessToken, "bad-1", bad)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	require.Equal(t, problemContentType, rec.Header().Get("Content-Type"))
	require.Equal(t, rec1.Body.String(), rec.Body.String())
	require.Equal(t, "true", rec.Header().Get("Idempotent-Replayed"))
}

func TestIdempotency_ApiKeyReplayIsSealedAtRest(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	body := map[string]any{"name": "ci", "scopes": []string{"run"}}
	first := decode[api.ApiKeyCreated](t, s.idem(t, "/api/v1/api-keys", f.admin.AccessToken, "ci-key", body), http.StatusCreated)
	again := decode[api.ApiKeyCreated](t, s.idem(t, "/api/v1/api-keys", f.admin.AccessToken, "ci-key", body), http.StatusCreated)
	require.Equal(t, first.Id, again.Id)
	require.Equal(t, first.Key, again.Key, "the client that lost the first answer gets its key")
	keys := decode[api.ApiKeyList](t, s.call(t, http.MethodGet, "/api/v1/api-keys", f.admin.AccessToken, nil), http.StatusOK)
	require.Len(t, keys.Items, 1)

	var stored []byte
	require.NoError(t, database0(t, s).QueryRow(context.Background(),
		"SELECT response_body FROM idempotency_keys WHERE org_id = $1 AND key = 'ci-key'", f.orgID).Scan(&stored))
	require.NotEmpty(t, stored)
	require.False(t, bytes.Contains(stored, []byte(first.Key)), "the raw key is never stored in clear")
}

func TestIdempotency_SameKeyForAnotherRequestIsRefused(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	require.Equal(t, http.StatusCreated, s.idem(t, "/api/v1/connections", f.editor.AccessToken, "k1", connectionBody("One")).Code)

	for name, rec := range map[string]*httptest.ResponseRecorder{
		"another body": s.idem(t, "/api/v1/connections", f.editor.AccessToken, "k1", connectionBody("Two")),
		"another path": s.idem(t, "/api/v1/api-keys", f.admin.AccessToken, "k1", map[string]any{"name": "x", "scopes": []string{"read"}}),
		"another query": s.do(t, http.MethodPost, "/api/v1/connections?x=1", strings.NewReader(mustJSON(t, connectionBody("One"))),
			"Content-Type", "application/json", "Authorization", "Bearer "+f.editor.AccessToken, "Idempotency-Key", "k1"),
	} {
		p := decodeProblem(t, rec, http.StatusUnprocessableEntity)
		require.Contains(t, *p.Detail, "another request", name)
		require.Equal(t, "Idempotency-Key", (*p.Errors)[0].Field, name)
	}
	require.Equal(t, 1, countConnections(t, s, f.viewer.AccessToken))

	decodeProblem(t, s.idem(t, "/api/v1/connections", f.editor.AccessToken, strings.Repeat("k", 256), connectionBody("Long")), http.StatusUnprocessableEntity)
}

// A key is printable ASCII (the draft standard's sf-string): a NUL or a byte that is not UTF-8
// would fail in PostgreSQL, and must answer 422 rather than 500.
func TestIdempotency_AKeyThatIsNotPrintableASCIIAnswers422(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	for _, key := range []string{"k\xff", "k\x00", "k\x01", "clé"} {
		p := decodeProblem(t, s.idem(t, "/api/v1/connections", f.editor.AccessToken, key, connectionBody("Odd key")), http.StatusUnprocessableEntity)
		require.Equal(t, "Idempotency-Key", (*p.Errors)[0].Field, "%q", key)
	}
	require.Zero(t, countConnections(t, s, f.viewer.AccessToken))
	require.Equal(t, http.StatusCreated, s.idem(t, "/api/v1/connections", f.editor.AccessToken, "a Key: 1-2_3/4+5=~!", connectionBody("Plain key")).Code)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestIdempotency_ARetryWhileTheFirstIsInProgressAnswers409(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	db := database0(t, s)
	ctx := context.Background()

	// Hold inserts into connections back, so that the first request stays in its handler.
	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, "LOCK TABLE connections IN SHARE ROW EXCLUSIVE MODE")
	require.NoError(t, err)

	firstDone := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		firstDone <- s.idem(t, "/api/v1/connections", f.editor.AccessToken, "slow", connectionBody("Slow"))
	}()
	require.Eventually(t, func() bool {
		var n int
		_ = db.QueryRow(ctx, "SELECT count(*) FROM idempotency_keys WHERE org_id = $1 AND key = 'slow'", f.orgID).Scan(&n)
		return n == 1
	}, 10*time.Second, 10*time.Millisecond)

	p := decodeProblem(t, s.idem(t, "/api/v1/connections", f.editor.AccessToken, "slow", connectionBody("Slow")), http.StatusConflict)
	require.Contains(t, *p.Detail, "in progress")

	require.NoError(t, tx.Rollback(ctx))
	first := <-firstDone
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	replay := s.idem(t, "/api/v1/connections", f.editor.AccessToken, "slow", connectionBody("Slow"))
	require.Equal(t, first.Body.String(), replay.Body.String())
	require.Equal(t, 1, countConnections(t, s, f.viewer.AccessToken))
}

func TestIdempotency_ConcurrentRetriesActOnce(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = s.idem(t, "/api/v1/connections", f.editor.AccessToken, "burst", connectionBody("Burst")).Code
		}()
	}
	wg.Wait()
	for _, c := range codes {
		require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, c, codes)
	}
	require.Contains(t, codes, http.StatusCreated)
	require.Equal(t, 1, countConnections(t, s, f.viewer.AccessToken))
}

func TestIdempotency_KeysExpireAfter24Hours(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	body := map[string]any{"name": "nightly", "scopes": []string{"run"}}
	first := decode[api.ApiKeyCreated](t, s.idem(t, "/api/v1/api-keys", f.admin.AccessToken, "nightly", body), http.StatusCreated)
	_, err := database0(t, s).Exec(context.Background(),
		"UPDATE idempotency_keys SET created_at = now() - interval '23 hours 59 minutes' WHERE org_id = $1", f.orgID)
	require.NoError(t, err)
	require.Equal(t, first.Id, decode[api.ApiKeyCreated](t, s.idem(t, "/api/v1/api-keys", f.admin.AccessToken, "nightly", body), http.StatusCreated).Id)

	_, err = database0(t, s).Exec(context.Background(),
		"UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute' WHERE org_id = $1", f.orgID)
	require.NoError(t, err)
	second := decode[api.ApiKeyCreated](t, s.idem(t, "/api/v1/api-keys", f.admin.AccessToken, "nightly", body), http.StatusCreated)
	require.NotEqual(t, first.Id, second.Id, "an expired key acts again")
	keys := decode[api.ApiKeyList](t, s.call(t, http.MethodGet, "/api/v1/api-keys", f.admin.AccessToken, nil), http.StatusOK)
	require.Len(t, keys.Items, 2)
	var n int
	require.NoError(t, database0(t, s).QueryRow(context.Background(), "SELECT count(*) FROM idempotency_keys WHERE org_id = $1", f.orgID).Scan(&n))
	require.Equal(t, 1, n, "the expired entry was deleted")
}

func TestIdempotency_KeysArePerOrg(t *testing.T) {
	t.Parallel()
	s := setup(t)
	a, b := s.newOrg(t), s.newOrg(t)
	ra := decode[api.Connection](t, s.idem(t, "/api/v1/connections", a.editor.AccessToken, "shared", connectionBody("Same")), http.StatusCreated)
	rb := decode[api.Connection](t, s.idem(t, "/api/v1/connections", b.editor.AccessToken, "shared", connectionBody("Same")), http.StatusCreated)
	require.NotEqual(t, ra.Id, rb.Id)
	require.Equal(t, 1, countConnections(t, s, a.viewer.AccessToken))
	require.Equal(t, 1, countConnections(t, s, b.viewer.AccessToken))
}

func TestIdempotency_ServerErrorsAndUnauthenticatedPostsAreNotStored(t *testing.T) {
	t.Parallel()
	s := setupDB(t)
	f := s.newOrg(t)
	h := &handlers{idempotency: idempotency.New(s.pool, nil), logger: testutil.Logger()}
	e := echo.New()
	e.HTTPErrorHandler = ErrorHandler(testutil.Logger())
	var calls atomic.Int32
	asMember := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := auth.WithPrincipal(c.Request().Context(), auth.Principal{OrgID: f.orgID, UserID: f.owner.User.Id, Role: auth.RoleOwner})
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
	e.POST("/api/v1/things", func(c echo.Context) error {
		if calls.Add(1) == 1 {
			return apperr.New(apperr.Unavailable, "try again")
		}
		return c.JSON(http.StatusCreated, map[string]int32{"call": calls.Load()})
	}, asMember, h.idempotent)
	post := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/things", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "flaky")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	require.Equal(t, http.StatusServiceUnavailable, post().Code)
	ok := post()
	require.Equal(t, http.StatusCreated, ok.Code, "the retry acted: the 503 was not stored")
	require.Equal(t, ok.Body.String(), post().Body.String())
	require.Equal(t, int32(2), calls.Load())

	// Sign-up has no org to key on: each one acts.
	for i := range 2 {
		rec := s.do(t, http.MethodPost, "/api/v1/auth/signup", strings.NewReader(mustJSON(t,
			map[string]any{"email": fmt.Sprintf("idem-%d-%s", i, uniqueEmail("x")), "password": testPassword, "full_name": "X"})),
			"Content-Type", "application/json", "Idempotency-Key", "signup")
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	}
}

func TestIdempotency_AnUploadRetriedWithANewBoundaryIsReplayed(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	post := func(content string) *httptest.ResponseRecorder {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf) // a new random boundary each time, as clients do
		fw, err := mw.CreateFormFile("file", "orders.csv")
		require.NoError(t, err)
		_, _ = fw.Write([]byte(content))
		require.NoError(t, mw.Close())
		return s.do(t, http.MethodPost, "/api/v1/files", &buf, "Content-Type", mw.FormDataContentType(),
			"Authorization", "Bearer "+f.editor.AccessToken, "Idempotency-Key", "upload-1")
	}
	first := post("id,amount\n1,2.5\n")
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	again := post("id,amount\n1,2.5\n")
	require.Equal(t, first.Body.String(), again.Body.String())
	require.Equal(t, "true", again.Header().Get("Idempotent-Replayed"))
	decodeProblem(t, post("id,amount\n2,9\n"), http.StatusUnprocessableEntity)
	files := decode[api.FileList](t, s.call(t, http.MethodGet, "/api/v1/files", f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, files.Items, 1)
}

func TestIdempotency_LargeBodiesAreSpooledToDiskAndGivenBackWhole(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16) // 3 MiB, past what is kept in memory
	req := httptest.NewRequest(http.MethodPost, "/api/v1/files", bytes.NewReader(big))
	sum1, cleanup, err := hashRequest(req)
	require.NoError(t, err)
	got, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	require.Equal(t, big, got)
	cleanup()

	req = httptest.NewRequest(http.MethodPost, "/api/v1/files", bytes.NewReader(append(big[:len(big)-1:len(big)-1], 'X')))
	sum2, cleanup, err := hashRequest(req)
	require.NoError(t, err)
	cleanup()
	require.NotEqual(t, sum1, sum2)
}

func TestIdempotency_ARetriedTriggerStartsOneRun(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{noWorker: true})
	id := e.pipeline(t, "nightly", map[string]any{"mode": "single_table", "table": "public.t"})
	path := fmt.Sprintf("/api/v1/pipelines/%d/runs", id)
	first := e.idem(t, path, e.f.editor.AccessToken, "ci-build-42", map[string]any{})
	if first.Code == http.StatusForbidden || first.Code == http.StatusServiceUnavailable {
		t.Skipf("triggerPipelineRun is not wired yet: %s", first.Body.String())
	}
	require.Equal(t, http.StatusAccepted, first.Code, first.Body.String())
	again := e.idem(t, path, e.f.editor.AccessToken, "ci-build-42", map[string]any{})
	require.Equal(t, http.StatusAccepted, again.Code, "a replay, not the 409 of a second trigger: %s", again.Body.String())
	require.Equal(t, first.Body.String(), again.Body.String())
	var runs int
	require.NoError(t, e.owner.QueryRow(context.Background(), "SELECT count(*) FROM runs WHERE target_id = $1", id).Scan(&runs))
	require.Equal(t, 1, runs)
	// A new key is a new trigger: refused while the first run is active.
	decodeProblem(t, e.idem(t, path, e.f.editor.AccessToken, "ci-build-43", map[string]any{}), http.StatusConflict)
}
