// Package benchapi drives a running `datanika serve` through its HTTP API as users would: sign
// up, connections, pipelines, triggers, run status. The benchmarks and drills under bench/ use it.
package benchapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// StatusError is an answer of 300 or more.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string { return e.Message }

// IsStatus reports whether err is an answer with the code.
func IsStatus(err error, code int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == code
}

// Client is one signed-in user of the server at Base.
type Client struct {
	Base, Token string
}

// Do sends a JSON request and decodes a JSON answer into out (when not nil); an answer of 300
// or more is an error carrying its body.
func (c *Client) Do(method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, &StatusError{Code: resp.StatusCode, Message: fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, b)}
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(b, out)
	}
	return resp.StatusCode, nil
}

// SignUp creates a user with an org of its own and signs it in; i tells orgs apart.
func SignUp(base string, i int) (*Client, error) {
	c := &Client{Base: base}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	email := fmt.Sprintf("bench-%d-%d@example.com", time.Now().UnixNano(), i)
	if _, err := c.Do("POST", "/api/v1/auth/signup", map[string]any{"email": email, "password": "bench-password-123",
		"full_name": "Bench " + strconv.Itoa(i), "org_name": "Bench org " + strconv.Itoa(i)}, &tok); err != nil {
		return nil, err
	}
	c.Token = tok.AccessToken
	return c, nil
}

// PostgresConnection creates a postgres connection to the database of rawURL
// (postgres://user[:password]@host[:port]/db) and returns its id.
func (c *Client) PostgresConnection(name, rawURL string) (int64, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, err
	}
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		port = 5432
	}
	cfg := map[string]any{"host": u.Hostname(), "port": port, "database": u.Path[1:], "user": u.User.Username(), "sslmode": "disable"}
	if p, ok := u.User.Password(); ok {
		cfg["password"] = p
	}
	var conn struct {
		ID int64 `json:"id"`
	}
	_, err = c.Do("POST", "/api/v1/connections", map[string]any{"name": name, "type": "postgres", "config": cfg}, &conn)
	return conn.ID, err
}

// Pipeline creates an active pipeline and returns its id; schema empty: the server's default.
func (c *Client) Pipeline(name string, src, dst int64, schema string, config map[string]any) (int64, error) {
	var p struct {
		ID int64 `json:"id"`
	}
	body := map[string]any{"name": name, "source_connection_id": src, "destination_connection_id": dst, "status": "active", "config": config}
	if schema != "" {
		body["destination_schema"] = schema
	}
	_, err := c.Do("POST", "/api/v1/pipelines", body, &p)
	return p.ID, err
}

// Run is a run as the API shows it (the fields the benchmarks read).
type Run struct {
	ID         int64  `json:"id"`
	Status     string `json:"status"`
	Error      string `json:"error"`
	RowsLoaded int64  `json:"rows_loaded"`
}

// Ended reports whether the run has ended.
func (r Run) Ended() bool {
	switch r.Status {
	case "success", "failed", "cancelled", "skipped":
		return true
	}
	return false
}

// Trigger starts a run of the pipeline; it returns when the server answered.
func (c *Client) Trigger(pipeline int64) (Run, time.Time, error) {
	var r Run
	_, err := c.Do("POST", fmt.Sprintf("/api/v1/pipelines/%d/runs", pipeline), map[string]any{}, &r)
	return r, time.Now(), err
}

// Get reads a run.
func (c *Client) Get(id int64) (Run, error) {
	var r Run
	_, err := c.Do("GET", fmt.Sprintf("/api/v1/runs/%d", id), nil, &r)
	return r, err
}

// Wait polls the run until it ended, for at most limit; errors of the poll itself (the server
// briefly unable to answer) are retried until then.
func (c *Client) Wait(id int64, limit time.Duration) (Run, error) {
	deadline := time.Now().Add(limit)
	for {
		r, err := c.Get(id)
		if err == nil && r.Ended() {
			return r, nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return r, err
			}
			return r, fmt.Errorf("run %d still %s after %s", id, r.Status, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
