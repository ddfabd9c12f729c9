package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
)

const problemContentType = "application/problem+json"

// problemFor maps any error to the problem document sent to the client. It is the single
// mapping table of the API: domain errors, Echo's own errors (404, 405, 413, bind errors),
// pgx's ErrNoRows and constraint violations, database outages, and everything else as a 500
// whose cause stays in the log.
func problemFor(err error) api.Problem {
	if e, ok := apperr.As(err); ok {
		p := problemOf(statusOfKind[e.Kind], e.Detail)
		if len(e.Fields) > 0 || e.Kind == apperr.Invalid {
			fields := make([]api.FieldError, 0, len(e.Fields))
			for _, f := range e.Fields {
				fe := api.FieldError{Field: f.Field, Message: f.Message}
				if f.File != "" {
					file := f.File
					fe.File = &file
				}
				if f.Line > 0 {
					line := f.Line
					fe.Line = &line
				}
				if f.Column > 0 {
					col := f.Column
					fe.Column = &col
				}
				fields = append(fields, fe)
			}
			p.Errors = &fields
		}
		// A 409 to a run trigger or retry names the run still active (internal/run).
		if e.ActiveRunID != 0 {
			id := e.ActiveRunID
			p.ActiveRunId = &id
		}
		if len(e.Cycle) > 0 {
			cycle := append([]string(nil), e.Cycle...)
			p.Cycle = &cycle
		}
		return p
	}

	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) { // Echo's binder may wrap it in a 400
		return problemOf(http.StatusRequestEntityTooLarge, "The request body is larger than this server accepts.")
	}
	if errors.Is(err, http.ErrNotMultipart) {
		return problemOf(http.StatusUnsupportedMediaType, "Send this as multipart/form-data.")
	}
	if errors.Is(err, http.ErrMissingBoundary) {
		return problemOf(http.StatusBadRequest, "The multipart body has no boundary.")
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return problemOf(he.Code, echoDetail(he))
	}

	var pgErr *pgconn.PgError
	var connErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return problemOf(http.StatusNotFound, "The resource does not exist.")
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case "23505": // unique_violation
			return problemOf(http.StatusConflict, "A resource with the same unique value already exists.")
		case "22021", "22P05": // character_not_in_repertoire, untranslatable_character (a NUL in text)
			// The edge refuses such text in requests (textCheck); this catches text from elsewhere.
			return problemOf(http.StatusUnprocessableEntity, "The request holds text the database cannot store (a NUL byte or invalid UTF-8).")
		case "23503": // foreign_key_violation
			return problemOf(http.StatusConflict, "The change conflicts with a related resource.")
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return problemOf(http.StatusServiceUnavailable, "The request collided with another one; retry it.")
		case "57P01", "57P02", "57P03", "53300": // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
			return problemOf(http.StatusServiceUnavailable, "The metadata database is unavailable; retry shortly.")
		}
	case errors.As(err, &connErr), errors.As(err, &netErr), errors.Is(err, context.DeadlineExceeded):
		return problemOf(http.StatusServiceUnavailable, "The metadata database is unavailable; retry shortly.")
	}
	return problemOf(http.StatusInternalServerError, "An internal error occurred. Quote the request id when reporting it.")
}

var statusOfKind = map[apperr.Kind]int{
	apperr.Internal:        http.StatusInternalServerError,
	apperr.BadRequest:      http.StatusBadRequest,
	apperr.Unauthenticated: http.StatusUnauthorized,
	apperr.Forbidden:       http.StatusForbidden,
	apperr.NotFound:        http.StatusNotFound,
	apperr.Conflict:        http.StatusConflict,
	apperr.Invalid:         http.StatusUnprocessableEntity,
	apperr.TooLarge:        http.StatusRequestEntityTooLarge,
	apperr.RateLimited:     http.StatusTooManyRequests,
	apperr.Unavailable:     http.StatusServiceUnavailable,
}

var codeOfStatus = map[int]api.ErrorCode{
	http.StatusBadRequest:            api.ErrorCodeBadRequest,
	http.StatusUnauthorized:          api.ErrorCodeUnauthenticated,
	http.StatusForbidden:             api.ErrorCodeForbidden,
	http.StatusNotFound:              api.ErrorCodeNotFound,
	http.StatusMethodNotAllowed:      api.ErrorCodeMethodNotAllowed,
	http.StatusConflict:              api.ErrorCodeConflict,
	http.StatusRequestEntityTooLarge: api.ErrorCodePayloadTooLarge,
	http.StatusUnsupportedMediaType:  api.ErrorCodeUnsupportedMediaType,
	http.StatusUnprocessableEntity:   api.ErrorCodeValidationFailed,
	http.StatusTooManyRequests:       api.ErrorCodeRateLimited,
	http.StatusServiceUnavailable:    api.ErrorCodeUnavailable,
}

func problemOf(status int, detail string) api.Problem {
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	code, ok := codeOfStatus[status]
	if !ok {
		if status >= 500 {
			code = api.ErrorCodeInternal
		} else {
			code = api.ErrorCodeBadRequest
		}
	}
	p := api.Problem{
		Type:   "urn:datanika:problem:" + string(code),
		Title:  http.StatusText(status),
		Status: int32(status), //nolint:gosec // bounded to 400..599 above
		Code:   &code,
	}
	if detail != "" {
		p.Detail = &detail
	}
	return p
}

// echoDetail turns Echo's error messages into a sentence for people. Echo's own messages are
// safe to show (they come from routing and binding, never from our database).
func echoDetail(he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusNotFound:
		return "No such endpoint or resource."
	case http.StatusMethodNotAllowed:
		return "This endpoint does not accept that HTTP method."
	case http.StatusRequestEntityTooLarge:
		return "The request body is larger than this server accepts."
	}
	if msg, ok := he.Message.(string); ok && msg != "" && msg != http.StatusText(he.Code) {
		return msg
	}
	return ""
}

// ErrorHandler is the Echo HTTPErrorHandler: it writes every error as problem+json and logs
// the cause with the request id. 5xx causes are logged at error level, 4xx at debug.
func ErrorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := problemFor(err)
		req := c.Request()
		instance := req.URL.Path
		p.Instance = &instance
		if rid := requestIDOf(c); rid != "" {
			p.RequestId = &rid
		}
		status := int(p.Status)
		attrs := []any{"request_id", requestIDOf(c), "method", req.Method, "path", req.URL.Path, "status", status, "error", err}
		if status >= 500 {
			logger.ErrorContext(req.Context(), "request failed", attrs...)
		} else {
			logger.DebugContext(req.Context(), "request rejected", attrs...)
		}
		if e, ok := apperr.As(err); ok && e.RetryAfterSeconds > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(e.RetryAfterSeconds))
		} else if status == http.StatusServiceUnavailable {
			c.Response().Header().Set("Retry-After", "2")
		}
		if req.Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		body, mErr := json.Marshal(p)
		if mErr != nil {
			body = fmt.Appendf(nil, `{"type":"about:blank","title":%q,"status":%d}`, http.StatusText(status), status)
		}
		_ = c.Blob(status, problemContentType, body)
	}
}
