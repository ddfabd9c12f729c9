package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
)

func TestProblemFor_MappingTable(t *testing.T) {
	t.Parallel()
	secret := errors.New("SELECT secret FROM metadata")
	cases := []struct {
		name   string
		err    error
		status int
		code   api.ErrorCode
		detail string
	}{
		{"not found", apperr.NotFoundf("pipeline %d not found", 7), 404, api.ErrorCodeNotFound, "pipeline 7 not found"},
		{"conflict", apperr.Conflictf("name taken"), 409, api.ErrorCodeConflict, "name taken"},
		{"invalid", apperr.Invalidf([]apperr.FieldError{{Field: "config.port", Message: "must be 1..65535"}}, "invalid config"), 422, api.ErrorCodeValidationFailed, "invalid config"},
		{"forbidden", apperr.New(apperr.Forbidden, "editors only"), 403, api.ErrorCodeForbidden, "editors only"},
		{"unauthenticated", apperr.New(apperr.Unauthenticated, "sign in"), 401, api.ErrorCodeUnauthenticated, "sign in"},
		{"rate limited", apperr.New(apperr.RateLimited, "slow down"), 429, api.ErrorCodeRateLimited, "slow down"},
		{"too large", apperr.New(apperr.TooLarge, "file too big"), 413, api.ErrorCodePayloadTooLarge, "file too big"},
		{"bad request", apperr.New(apperr.BadRequest, "bad"), 400, api.ErrorCodeBadRequest, "bad"},
		{"domain error keeps cause hidden", apperr.NotFoundf("gone").WithCause(secret), 404, api.ErrorCodeNotFound, "gone"},
		{"wrapped domain error", fmt.Errorf("load: %w", apperr.Conflictf("dup")), 409, api.ErrorCodeConflict, "dup"},
		{"echo 404", echo.ErrNotFound, 404, api.ErrorCodeNotFound, "No such endpoint or resource."},
		{"echo 405", echo.ErrMethodNotAllowed, 405, api.ErrorCodeMethodNotAllowed, "This endpoint does not accept that HTTP method."},
		{"echo 413", echo.ErrStatusRequestEntityTooLarge, 413, api.ErrorCodePayloadTooLarge, "The request body is larger than this server accepts."},
		{"echo 415", echo.ErrUnsupportedMediaType, 415, api.ErrorCodeUnsupportedMediaType, ""},
		{"echo bind", echo.NewHTTPError(400, "Syntax error: offset=5, error=unexpected EOF"), 400, api.ErrorCodeBadRequest, "Syntax error: offset=5, error=unexpected EOF"},
		{"max bytes inside a 400", echo.NewHTTPError(400, "x").SetInternal(&http.MaxBytesError{Limit: 1}), 413, api.ErrorCodePayloadTooLarge, "The request body is larger than this server accepts."},
		{"not multipart", fmt.Errorf("bind: %w", http.ErrNotMultipart), 415, api.ErrorCodeUnsupportedMediaType, "Send this as multipart/form-data."},
		{"no rows", fmt.Errorf("get: %w", pgx.ErrNoRows), 404, api.ErrorCodeNotFound, "The resource does not exist."},
		{"text the database cannot store", &pgconn.PgError{Code: "22P05", Message: "unsupported Unicode escape sequence"}, 422, api.ErrorCodeValidationFailed, "The request holds text the database cannot store (a NUL byte or invalid UTF-8)."},
		{"unique violation", &pgconn.PgError{Code: "23505", Message: "duplicate key value violates unique constraint \"x\""}, 409, api.ErrorCodeConflict, "A resource with the same unique value already exists."},
		{"fk violation", &pgconn.PgError{Code: "23503"}, 409, api.ErrorCodeConflict, "The change conflicts with a related resource."},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, 503, api.ErrorCodeUnavailable, "The request collided with another one; retry it."},
		{"database shutting down", &pgconn.PgError{Code: "57P01"}, 503, api.ErrorCodeUnavailable, "The metadata database is unavailable; retry shortly."},
		{"network error", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, 503, api.ErrorCodeUnavailable, "The metadata database is unavailable; retry shortly."},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), 503, api.ErrorCodeUnavailable, "The metadata database is unavailable; retry shortly."},
		{"other pg error", &pgconn.PgError{Code: "42601", Message: "syntax error at SELECT secret"}, 500, api.ErrorCodeInternal, "An internal error occurred. Quote the request id when reporting it."},
		{"anything else", secret, 500, api.ErrorCodeInternal, "An internal error occurred. Quote the request id when reporting it."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := problemFor(tc.err)
			require.Equal(t, int32(tc.status), p.Status)
			require.Equal(t, tc.code, *p.Code)
			require.Equal(t, "urn:datanika:problem:"+string(tc.code), p.Type)
			require.Equal(t, http.StatusText(tc.status), p.Title)
			if tc.detail == "" {
				require.Nil(t, p.Detail)
			} else {
				require.Equal(t, tc.detail, *p.Detail)
				require.NotContains(t, *p.Detail, "SELECT", "no SQL of the metadata database in a problem")
			}
		})
	}
}

func TestProblemFor_InvalidCarriesFieldPaths(t *testing.T) {
	t.Parallel()
	p := problemFor(apperr.Invalidf([]apperr.FieldError{
		{Field: "config.incremental.cursor_path", Message: "is required"},
		{Field: "name", Message: "must be 1 to 100 characters"},
	}, "the pipeline is invalid"))
	require.NotNil(t, p.Errors)
	require.Equal(t, []api.FieldError{
		{Field: "config.incremental.cursor_path", Message: "is required"},
		{Field: "name", Message: "must be 1 to 100 characters"},
	}, *p.Errors)
}

func TestErrorHandler_RetryAfterOnRateLimitAndOutage(t *testing.T) {
	t.Parallel()
	e := echo.New()
	h := ErrorHandler(nopLogger())
	limited := apperr.New(apperr.RateLimited, "too many attempts")
	limited.RetryAfterSeconds = 60
	for _, tc := range []struct {
		err   error
		retry string
	}{
		{limited, "60"},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, "2"},
	} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "/api/v1/x", nil)
		rec := newRecorder()
		c := e.NewContext(req, rec)
		h(tc.err, c)
		require.Equal(t, tc.retry, rec.Header().Get("Retry-After"))
		require.Equal(t, problemContentType, rec.Header().Get("Content-Type"))
	}
}

func nopLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
