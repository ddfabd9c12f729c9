package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/idempotency"
)

const (
	headerIdempotencyKey = "Idempotency-Key"
	// headerReplayed tells a client that the answer is the stored one of an earlier request.
	headerReplayed = "Idempotent-Replayed"
	// maxStoredAnswer bounds what is kept per key; a larger answer is not stored (the key is
	// released), which no mutating operation comes near.
	maxStoredAnswer = 1 << 20
)

// storedHeaders are the response headers a replay repeats.
var storedHeaders = []string{echo.HeaderContentType, echo.HeaderLocation}

// idempotent makes a POST sent with an Idempotency-Key act at most once per org and key within
// 24 hours (SPEC §3): it runs after authentication (the key belongs to the principal's org) and
// before validation and the handler. The first request claims the key and its answer is stored;
// a retry of the same request gets that answer back (with Idempotent-Replayed: true) without
// reaching the handler; the same key with another method, path, query or body answers 422; a
// retry while the first is still running answers 409. Server errors and 429 are not stored (the
// key is released), so a retry acts.
//
// Requests without a principal (sign-up, login, refresh, logout) have no org to key on and are
// not covered, nor are the other /auth/ operations: their answers are session tokens, which are
// not to be stored nor handed out twice.
func (h *handlers) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		key := req.Header.Get(headerIdempotencyKey)
		if req.Method != http.MethodPost || key == "" || strings.HasPrefix(req.URL.Path, "/api/v1/auth/") {
			return next(c)
		}
		p, ok := auth.PrincipalFrom(req.Context())
		if !ok {
			return next(c)
		}
		hash, cleanup, err := hashRequest(req)
		if err != nil {
			return err
		}
		defer cleanup()
		ir := idempotency.Request{OrgID: p.OrgID, Key: key, Method: req.Method, Path: req.URL.Path, Hash: hash}
		outcome, stored, err := h.idempotency.Claim(req.Context(), ir)
		if err != nil {
			return err
		}
		if outcome == idempotency.Replay {
			for k, v := range stored.Headers {
				c.Response().Header().Set(k, v)
			}
			c.Response().Header().Set(headerReplayed, "true")
			c.Response().WriteHeader(stored.Status)
			_, err := c.Response().Write(stored.Body)
			return err
		}

		// Whatever happens from here (an error, a panic, a client gone), the entry is settled
		// with a context that outlives the request's.
		bg := context.WithoutCancel(req.Context())
		settled := false
		defer func() {
			if !settled {
				h.releaseKey(bg, ir)
			}
		}()
		capture := &answerCapture{ResponseWriter: c.Response().Writer}
		c.Response().Writer = capture
		if err := next(c); err != nil {
			// Write the problem now, through the capture, so that a client error is stored too.
			c.Error(err)
		}
		c.Response().Writer = capture.ResponseWriter
		settled = true
		status := c.Response().Status
		if status >= 500 || status == http.StatusTooManyRequests || capture.overflow {
			h.releaseKey(bg, ir)
			return nil
		}
		answer := idempotency.Response{Status: status, Headers: map[string]string{}, Body: capture.body.Bytes()}
		for _, k := range storedHeaders {
			if v := c.Response().Header().Get(k); v != "" {
				answer.Headers[k] = v
			}
		}
		if err := h.idempotency.Complete(bg, ir, answer); err != nil {
			// The request acted: releasing the key could let a retry act twice, so the entry
			// stays in progress (retries answer 409) until it expires.
			h.logger.ErrorContext(bg, "store the answer of an idempotent request", "request_id", requestIDOf(c), "org_id", p.OrgID, "error", err)
		}
		return nil
	}
}

func (h *handlers) releaseKey(ctx context.Context, ir idempotency.Request) {
	if err := h.idempotency.Release(ctx, ir); err != nil {
		h.logger.ErrorContext(ctx, "release an idempotency key", "org_id", ir.OrgID, "error", err)
	}
}

// answerCapture passes the response through and keeps a copy of its body.
type answerCapture struct {
	http.ResponseWriter
	body     bytes.Buffer
	overflow bool
}

func (w *answerCapture) Write(b []byte) (int, error) {
	if !w.overflow {
		if w.body.Len()+len(b) > maxStoredAnswer {
			w.overflow = true
			w.body = bytes.Buffer{}
		} else {
			w.body.Write(b)
		}
	}
	return w.ResponseWriter.Write(b)
}

func (w *answerCapture) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// hashRequest digests what makes a request this request besides its method and path: the query
// and the body. A multipart body is digested part by part (names, file names, contents), since
// clients choose a new boundary on every try. The body is read to the end (kept in memory up to
// a point, then in a temporary file) and put back for the handler; cleanup removes the file.
func hashRequest(req *http.Request) ([]byte, func(), error) {
	sum := sha256.New()
	writeField(sum, req.URL.RawQuery)
	sp := &spool{}
	cleanup := sp.remove
	if req.Body == nil || req.Body == http.NoBody {
		return sum.Sum(nil), cleanup, nil
	}
	raw := io.TeeReader(req.Body, sp)
	var err error
	if boundary, ok := multipartBoundary(req); ok {
		err = hashParts(sum, multipart.NewReader(raw, boundary))
		if err == nil {
			_, err = io.Copy(io.Discard, raw) // the epilogue, if any
		}
	} else {
		_, err = io.Copy(sum, raw)
	}
	if err == nil {
		err = sp.err
	}
	if err != nil {
		cleanup()
		return nil, func() {}, err
	}
	_ = req.Body.Close()
	body, err := sp.reader()
	if err != nil {
		cleanup()
		return nil, func() {}, err
	}
	req.Body = body
	return sum.Sum(nil), cleanup, nil
}

func multipartBoundary(req *http.Request) (string, bool) {
	mt, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return "", false
	}
	return params["boundary"], true
}

func hashParts(sum io.Writer, mr *multipart.Reader) error {
	for {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			// Not a well-formed multipart body: the handler will say so; digest it as it came.
			writeField(sum, "malformed")
			return nil //nolint:nilerr // the raw bytes are still spooled for the handler
		}
		writeField(sum, part.FormName())
		writeField(sum, part.FileName())
		writeField(sum, part.Header.Get(echo.HeaderContentType))
		if _, err := io.Copy(sum, part); err != nil {
			return err
		}
		writeField(sum, "")
	}
}

// writeField writes a length-prefixed value, so that two fields never read as another two.
func writeField(w io.Writer, s string) {
	_, _ = io.WriteString(w, strconv.Itoa(len(s))+":"+s)
}

// spool keeps what is written in memory up to spoolInMemory bytes, then in a temporary file.
type spool struct {
	mem  bytes.Buffer
	file *os.File
	err  error
}

const spoolInMemory = 1 << 20

func (s *spool) Write(b []byte) (int, error) {
	if s.err != nil {
		return len(b), nil // reported once reading is over
	}
	if s.file == nil && s.mem.Len()+len(b) > spoolInMemory {
		f, err := os.CreateTemp("", "datanika-request-*")
		if err != nil {
			s.err = err
			return len(b), nil
		}
		s.file = f
		if _, err := f.Write(s.mem.Bytes()); err != nil {
			s.err = err
			return len(b), nil
		}
		s.mem = bytes.Buffer{}
	}
	if s.file != nil {
		if _, err := s.file.Write(b); err != nil {
			s.err = err
		}
		return len(b), nil
	}
	return s.mem.Write(b)
}

func (s *spool) reader() (io.ReadCloser, error) {
	if s.file == nil {
		return io.NopCloser(bytes.NewReader(s.mem.Bytes())), nil
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.NopCloser(s.file), nil
}

func (s *spool) remove() {
	if s.file != nil {
		_ = s.file.Close()
		_ = os.Remove(s.file.Name())
	}
}
