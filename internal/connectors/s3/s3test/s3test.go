// Package s3test runs an in-process S3-compatible server (gofakes3 in memory) on 127.0.0.1 for
// the tests of whatever talks S3: the s3 connector, the S3 blob store, the server's uploads.
package s3test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"
)

// Bucket is the bucket every Server starts with.
const Bucket = "data"

// Server is an S3-compatible server. gofakes3 checks no signature, so Server plays the part of
// S3's authentication as far as a test can without re-implementing SigV4: with a KeyID it
// refuses unsigned requests (AccessDenied) and other access key IDs (InvalidAccessKeyId), with
// S3's status and XML error. Secrets are not checked.
type Server struct {
	URL     string
	Backend *s3mem.Backend
	keyID   string

	requests atomic.Int64
	sent     atomic.Int64
	tokens   atomic.Int64
	refuse   atomic.Bool
}

var credentialRE = regexp.MustCompile(`Credential=([^/]+)/`)

// New starts a server, closed when the test ends. keyID "" accepts anonymous requests.
func New(t testing.TB, keyID string) *Server {
	t.Helper()
	s := &Server{Backend: s3mem.New(), keyID: keyID}
	require.NoError(t, s.Backend.CreateBucket(Bucket))
	inner := gofakes3.New(s.Backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if r.Header.Get("X-Amz-Security-Token") != "" {
			s.tokens.Add(1)
		}
		if s.refuse.Load() {
			Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
			return
		}
		if s.keyID != "" {
			m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization"))
			switch {
			case m == nil:
				Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
				return
			case m[1] != s.keyID:
				Error(w, http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
				return
			}
		}
		if s.ifMatchFails(r) {
			Error(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
			return
		}
		if err := decodeChunkedPart(r); err != nil {
			Error(w, http.StatusBadRequest, "IncompleteBody", err.Error())
			return
		}
		inner.ServeHTTP(countingWriter{w, &s.sent}, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Refuse makes the server answer every request with AccessDenied (on) or serve again (off).
func (s *Server) Refuse(on bool) { s.refuse.Store(on) }

// Host is the server's host:port.
func (s *Server) Host() string { return strings.TrimPrefix(s.URL, "http://") }

// Requests counts the requests received.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Sent counts the response body bytes sent.
func (s *Server) Sent() int64 { return s.sent.Load() }

// Tokens counts the requests that carried a session token.
func (s *Server) Tokens() int64 { return s.tokens.Load() }

// Put stores an object straight in the backend, past any client.
func (s *Server) Put(t testing.TB, key string, body []byte) {
	t.Helper()
	meta := map[string]string{"Last-Modified": time.Now().UTC().Format(http.TimeFormat)}
	_, err := s.Backend.PutObject(Bucket, key, meta, bytes.NewReader(body), int64(len(body)), nil)
	require.NoError(t, err)
}

// Keys lists the keys of the bucket.
func (s *Server) Keys(t testing.TB) []string {
	t.Helper()
	list, err := s.Backend.ListBucket(Bucket, nil, gofakes3.ListBucketPage{})
	require.NoError(t, err)
	keys := []string{}
	for _, c := range list.Contents {
		keys = append(keys, c.Key)
	}
	return keys
}

// ifMatchFails plays S3's If-Match on reads (gofakes3 ignores it there): the object's ETag
// must be the one asked for. Path-style requests only, as the tests make them.
func (s *Server) ifMatchFails(r *http.Request) bool {
	want := strings.Trim(r.Header.Get("If-Match"), `"`)
	if want == "" || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok || key == "" {
		return false
	}
	obj, err := s.Backend.HeadObject(bucket, key)
	if err != nil {
		return false // gofakes3 answers NoSuchKey
	}
	return hex.EncodeToString(obj.Hash) != want
}

// Error answers as S3 does when it refuses a request.
func Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return c.ResponseWriter.Write(p)
}

// decodeChunkedPart undoes the aws-chunked encoding (streaming SigV4, which clients use over
// plain HTTP) of a multipart part: gofakes3 decodes it for whole objects only and would store
// the chunk headers of a part as data.
func decodeChunkedPart(r *http.Request) error {
	if r.Method != http.MethodPut || r.URL.Query().Get("partNumber") == "" ||
		!strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return nil
	}
	br := bufio.NewReader(r.Body)
	var out bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("chunk header: %w", err)
		}
		sizeHex, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil {
			return fmt.Errorf("chunk size %q: %w", sizeHex, err)
		}
		if n == 0 {
			break
		}
		if _, err := io.CopyN(&out, br, n); err != nil {
			return fmt.Errorf("chunk data: %w", err)
		}
		if _, err := br.Discard(2); err != nil { // \r\n
			return fmt.Errorf("chunk end: %w", err)
		}
	}
	_ = r.Body.Close()
	r.Body = io.NopCloser(&out)
	r.ContentLength = int64(out.Len())
	r.Header.Set("Content-Length", strconv.Itoa(out.Len()))
	r.Header.Del("X-Amz-Content-Sha256")
	r.Header.Del("X-Amz-Decoded-Content-Length")
	return nil
}
