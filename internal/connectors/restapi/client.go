package restapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/egress"
)

const (
	userAgent = "Datanika"
	// maxRedirects bounds the redirects of one request.
	maxRedirects = 5
	// requestTimeout bounds one attempt, reading the whole page included.
	requestTimeout = 2 * time.Minute
	// tokenTimeout bounds one OAuth2 token request.
	tokenTimeout = 30 * time.Second
	// maxPageBytes bounds one page: a page is decoded whole, and memory must stay bounded.
	maxPageBytes = 64 << 20
	// maxRetryWait caps what a server's Retry-After can make us wait.
	maxRetryWait = 5 * time.Minute
	// maxBackoff caps the exponential backoff between attempts (unless backoff_seconds is larger).
	maxBackoff = time.Minute
	// errorBodyBytes is how much of an error answer is read: more than any secret is long, so a
	// secret echoed in the part shown is scrubbed whole before the text is cut short.
	errorBodyBytes = 20 << 10
	// detailChars is how much of an error answer's body a message shows.
	detailChars = 200
)

// HTTPError is an answer outside 2xx. Its fields are already free of secrets: the URL has no
// query string and the detail (the start of the body) is scrubbed.
type HTTPError struct {
	Method     string
	URL        string
	StatusCode int
	Status     string
	Detail     string
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %s", e.Method, e.URL, e.Status)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// requestError is a failure whose message is scrubbed. It unwraps only to values that carry no
// secret (sentinels such as context.Canceled or egress.ErrDenied, or an *HTTPError), so errors.Is
// and errors.As keep working while no chain printer can reach the original text.
type requestError struct {
	msg   string
	cause error
}

func (e *requestError) Error() string { return e.msg }
func (e *requestError) Unwrap() error { return e.cause }

// safeCauses are what a requestError may unwrap to.
var safeCauses = []error{context.Canceled, context.DeadlineExceeded, egress.ErrDenied, errTooLarge, errRedirect}

var (
	errTooLarge = fmt.Errorf("the page is larger than %d MiB", maxPageBytes>>20)
	errRedirect = errors.New("redirect refused")
)

// session is one Test, Catalog or Read: an HTTP transport of its own (closed at the end, so
// nothing stays open between calls) and, for OAuth2, a token source.
type session struct {
	c         *Connector
	transport *http.Transport
	client    *http.Client
	tokens    oauth2.TokenSource

	mu      sync.Mutex
	secrets []string // the config's, plus access tokens obtained
}

// newSession builds the HTTP client. Every connection goes through the Connector's Dialer, so
// the egress policy checks each address dialed: the API's, each redirect's and the token URL's.
func (c *Connector) newSession(ctx context.Context) *session {
	t := &http.Transport{
		Proxy:                 nil, // a proxy would dial on our behalf, out of the policy's sight
		DialContext:           c.dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		ExpectContinueTimeout: time.Second,
	}
	s := &session{c: c, transport: t, secrets: c.secrets}
	s.client = &http.Client{Transport: t, CheckRedirect: s.checkRedirect}
	if c.cfg.Auth.Type == AuthOAuth2Client {
		cc := &clientcredentials.Config{
			ClientID:     c.cfg.Auth.ClientID,
			ClientSecret: c.cfg.Auth.ClientSecret,
			TokenURL:     c.cfg.Auth.TokenURL,
			Scopes:       c.cfg.Auth.Scopes,
		}
		tokenClient := &http.Client{Transport: t, CheckRedirect: s.checkRedirect, Timeout: tokenTimeout}
		s.tokens = cc.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, tokenClient))
	}
	return s
}

func (s *session) close() { s.transport.CloseIdleConnections() }

func (s *session) addSecret(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.secrets {
		if have == v {
			return
		}
	}
	s.secrets = append(append([]string(nil), s.secrets...), v)
}

func (s *session) scrub(msg string) string {
	s.mu.Lock()
	secrets := s.secrets
	s.mu.Unlock()
	return connectors.Scrub(msg, secrets)
}

// fail turns err into a scrubbed error about a request for u.
func (s *session) fail(u *url.URL, err error) error {
	var herr *HTTPError
	if errors.As(err, &herr) {
		return err // built scrubbed
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // its message repeats the URL, query string (and API key) included
	}
	return s.wrap(fmt.Sprintf("GET %s: %v", showURL(u), err), err)
}

// wrap makes a scrubbed error with msg, keeping err's safe cause.
func (s *session) wrap(msg string, err error) error {
	e := &requestError{msg: s.scrub(msg)}
	for _, c := range safeCauses {
		if errors.Is(err, c) {
			e.cause = c
			break
		}
	}
	var herr *HTTPError
	if e.cause == nil && errors.As(err, &herr) {
		e.cause = herr
	}
	return e
}

// showURL is how messages name a URL: no user info, no query string (an API key may sit there).
func showURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return v.String()
}

// checkRedirect bounds redirects, refuses a downgrade to plain http, and keeps credentials from
// a host other than the one asked: Go drops Authorization itself, not the API key header or
// the configured headers.
func (s *session) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: stopped after %d redirects", errRedirect, maxRedirects)
	}
	first := via[0].URL
	if first.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: from https to plain http", errRedirect)
	}
	if !strings.EqualFold(req.URL.Host, first.Host) {
		req.Header.Del("Authorization")
		if a := s.c.cfg.Auth; a.Type == AuthAPIKey && a.In == "header" {
			req.Header.Del(a.Name)
		}
		for k := range s.c.cfg.Headers {
			req.Header.Del(k)
		}
	}
	return nil
}

// authorize sets the headers of every request and the credentials.
func (s *session) authorize(req *http.Request) error {
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	for k, v := range s.c.cfg.Headers {
		req.Header.Set(k, v)
	}
	a := s.c.cfg.Auth
	switch a.Type {
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+a.Token)
	case AuthBasic:
		req.SetBasicAuth(a.Username, a.Password)
	case AuthAPIKey:
		if a.In == "query" {
			q := req.URL.Query()
			q.Set(a.Name, a.Value)
			req.URL.RawQuery = q.Encode()
		} else {
			req.Header.Set(a.Name, a.Value)
		}
	case AuthOAuth2Client:
		tok, err := s.tokens.Token()
		if err != nil {
			return s.wrap("oauth2 token request to "+showURL(parseOrEmpty(a.TokenURL))+" failed: "+tokenError(err), err)
		}
		s.addSecret(tok.AccessToken)
		tok.SetAuthHeader(req)
	}
	return nil
}

func parseOrEmpty(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		return &url.URL{}
	}
	return u
}

// tokenError shortens the oauth2 package's errors, which quote the token endpoint's whole body.
func tokenError(err error) string {
	var rerr *oauth2.RetrieveError
	if errors.As(err, &rerr) && rerr.Response != nil {
		msg := "HTTP " + rerr.Response.Status
		if rerr.ErrorCode != "" {
			msg += ": " + rerr.ErrorCode
		}
		return msg
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err.Error()
	}
	return err.Error()
}

// page is one decoded answer. Its records point into doc.
type page struct {
	doc     any
	records []any
	header  http.Header
	asked   *url.URL // the URL requested (without credentials)
	final   *url.URL // the URL answered, after redirects
	status  string
}

// fetch GETs u and decodes the page, with up to attempts attempts on 429, 5xx and network
// errors. Each attempt waits for the rate limit; between attempts it backs off exponentially
// with jitter, or as long as the server's Retry-After says. Every wait ends with ctx.
func (s *session) fetch(ctx context.Context, u *url.URL, r *Resource, attempts int) (*page, error) {
	if attempts < 1 {
		attempts = 1
	}
	for attempt := 1; ; attempt++ {
		if err := s.c.limiter.wait(ctx); err != nil {
			return nil, s.fail(u, err)
		}
		pg, retryAfter, retry, err := s.attempt(ctx, u, r)
		if err == nil {
			return pg, nil
		}
		if ctx.Err() != nil {
			return nil, s.fail(u, ctx.Err())
		}
		if !retry || attempt >= attempts {
			if attempt > 1 {
				return nil, s.wrap(fmt.Sprintf("gave up after %d attempts: %v", attempt, err), err)
			}
			return nil, err
		}
		wait := retryAfter
		if wait < 0 {
			wait = s.c.backoff(attempt)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, s.fail(u, err)
		}
	}
}

// attempt makes one request. retryAfter is negative when the server did not say.
func (s *session) attempt(ctx context.Context, u *url.URL, r *Resource) (pg *page, retryAfter time.Duration, retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	retryAfter = -1
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), http.NoBody)
	if err != nil {
		return nil, retryAfter, false, s.fail(u, err)
	}
	if err := s.authorize(req); err != nil {
		return nil, retryAfter, retryable(err), err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, retryAfter, retryable(err), s.fail(u, err)
	}
	defer func() { _ = resp.Body.Close() }()
	final := resp.Request.URL
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyBytes))
		herr := &HTTPError{Method: http.MethodGet, URL: showURL(final), StatusCode: resp.StatusCode,
			Status: s.scrub(resp.Status), Detail: detail(s.scrub(string(body)))}
		code := resp.StatusCode
		retry = code == http.StatusTooManyRequests || code == http.StatusRequestTimeout ||
			(code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported)
		if retry {
			retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return nil, retryAfter, retry, herr
	}
	status := strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
	if resp.StatusCode == http.StatusNoContent {
		return &page{header: resp.Header, asked: u, final: final, status: status}, retryAfter, false, nil
	}
	dec := json.NewDecoder(&capReader{r: resp.Body, left: maxPageBytes})
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF):
			return nil, retryAfter, false, s.wrap(fmt.Sprintf("GET %s: the response is empty, not JSON", showURL(final)), err)
		case errors.As(err, &syn):
			return nil, retryAfter, false, s.wrap(fmt.Sprintf("GET %s: the response is not JSON (%v)", showURL(final), err), err)
		case errors.Is(err, errTooLarge):
			return nil, retryAfter, false, s.fail(final, err)
		}
		return nil, retryAfter, retryable(err), s.fail(final, err) // cut off while reading
	}
	records, err := selectRecords(doc, r.DataSelector)
	if err != nil {
		return nil, retryAfter, false, s.wrap(fmt.Sprintf("GET %s: %v", showURL(final), err), err)
	}
	return &page{doc: doc, records: records, header: resp.Header, asked: u, final: final, status: status},
		retryAfter, false, nil
}

// detail is the start of an error body made fit for a one-line message.
func detail(body string) string {
	body = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, body)
	body = strings.Join(strings.Fields(body), " ")
	if r := []rune(body); len(r) > detailChars {
		body = string(r[:detailChars]) + "…"
	}
	return body
}

// retryable tells network failures worth another attempt from those that will not change: a
// denied address, a refused redirect, a certificate that does not verify.
func retryable(err error) bool {
	if errors.Is(err, egress.ErrDenied) || errors.Is(err, errRedirect) || errors.Is(err, errTooLarge) ||
		errors.Is(err, context.Canceled) {
		return false
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var (
		certErr  *tls.CertificateVerificationError
		hostErr  x509.HostnameError
		authErr  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		recErr   tls.RecordHeaderError
		tokenErr *oauth2.RetrieveError
	)
	if errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &authErr) ||
		errors.As(err, &invalid) || errors.As(err, &recErr) {
		return false
	}
	if errors.As(err, &tokenErr) {
		return tokenErr.Response != nil && (tokenErr.Response.StatusCode == http.StatusTooManyRequests || tokenErr.Response.StatusCode >= 500)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; negative when absent or
// unreadable. It is capped at maxRetryWait.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return -1
		}
		d = time.Duration(min(secs, int64(maxRetryWait/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return -1
	}
	return min(d, maxRetryWait)
}

// backoff is the wait before attempt+1: backoff_seconds doubled per attempt, capped, with
// jitter (between half and all of it) so that clients do not retry in step.
func (c *Connector) backoff(attempt int) time.Duration {
	base := time.Duration(c.cfg.Retry.BackoffSeconds * float64(c.backoffUnit))
	if base <= 0 {
		return 0
	}
	limit := max(maxBackoff, base)
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1)) //nolint:gosec // jitter, not security
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// limiter spaces request starts at least interval apart. One serves every call of a
// Connector, since an API's limit counts a credential's requests, whichever table they read.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newLimiter(perSecond float64) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{interval: time.Duration(float64(time.Second) / perSecond)}
}

func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	return sleep(ctx, time.Until(at))
}

// capReader fails once more than left bytes are read, rather than cutting the page short.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
