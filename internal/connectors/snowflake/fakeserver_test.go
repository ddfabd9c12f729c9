package snowflake

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeServer speaks just enough of Snowflake's REST protocol (login, query, logout) for the
// driver to run Test, Catalog and Query against it on 127.0.0.1, and records what it is sent:
// the proof of what the connector sends, kept in golden files.
type fakeServer struct {
	srv *httptest.Server

	mu       sync.Mutex
	logins   []map[string]any
	loginURL []string
	queries  []fakeQuery
	// answer decides the reply to a statement; nil answers a one-column SELECT.
	answer func(sql string, describeOnly bool) fakeAnswer
	// password, when set, is the only one accepted; a wrong one is quoted back, as a hostile
	// or careless server might.
	password string
}

type fakeQuery struct {
	SQL          string         `json:"sqlText"`
	DescribeOnly bool           `json:"describeOnly,omitempty"`
	Parameters   map[string]any `json:"parameters,omitempty"`
}

// fakeAnswer is a statement's reply: a result, or an error with a Snowflake code.
type fakeAnswer struct {
	statementType int64
	columns       []fakeColumn
	rows          [][]*string
	errCode       string
	errMessage    string
}

type fakeColumn struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Nullable  bool   `json:"nullable"`
	Scale     int    `json:"scale"`
	Precision int    `json:"precision"`
	Length    int    `json:"length"`
}

func str(s string) *string { return &s }

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// endpoint points a connector at the fake server.
func (f *fakeServer) endpoint(t *testing.T) *endpoint {
	t.Helper()
	host, port, err := net.SplitHostPort(strings.TrimPrefix(f.srv.URL, "http://"))
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	return &endpoint{protocol: "http", host: host, port: p}
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/session/v1/login-request":
		var req struct {
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(body, &req)
		q := r.URL.Query()
		q.Del("request_id")
		q.Del("requestId")
		q.Del("request_guid")
		f.mu.Lock()
		f.logins = append(f.logins, req.Data)
		f.loginURL = append(f.loginURL, q.Encode())
		f.mu.Unlock()
		if f.password != "" && req.Data["PASSWORD"] != f.password {
			writeJSON(w, map[string]any{"data": nil, "code": "390100", "success": false,
				"message": fmt.Sprintf("Incorrect username or password was specified (password %v).", req.Data["PASSWORD"])})
			return
		}
		writeJSON(w, map[string]any{"success": true, "code": nil, "message": nil, "data": map[string]any{
			"token": "session-token", "masterToken": "master-token", "sessionId": 1,
			"validityInSeconds": 3600, "masterValidityInSeconds": 14400, "parameters": []any{},
			"sessionInfo": map[string]any{"databaseName": "RAW", "schemaName": "PUBLIC"}}})
	case "/queries/v1/query-request":
		var q fakeQuery
		_ = json.Unmarshal(body, &q)
		f.mu.Lock()
		f.queries = append(f.queries, q)
		answer := f.answer
		f.mu.Unlock()
		a := fakeAnswer{statementType: statementTypeSelect, columns: []fakeColumn{{Name: "1", Type: "fixed", Precision: 1}},
			rows: [][]*string{{str("1")}}}
		if answer != nil {
			a = answer(q.SQL, q.DescribeOnly)
		}
		if a.errCode != "" {
			writeJSON(w, map[string]any{"success": false, "code": a.errCode, "message": a.errMessage,
				"data": map[string]any{"sqlState": "42000", "queryId": "q-err"}})
			return
		}
		rows := a.rows
		if q.DescribeOnly {
			rows = [][]*string{}
		}
		writeJSON(w, map[string]any{"success": true, "code": nil, "message": nil, "data": map[string]any{
			"parameters": []any{}, "rowtype": a.columns, "rowset": rows, "total": len(rows), "returned": len(rows),
			"queryId": "q-1", "statementTypeId": a.statementType, "queryResultFormat": "json"}})
	default: // logout (/session?delete=true) and anything else
		writeJSON(w, map[string]any{"success": true, "code": nil, "message": nil, "data": nil})
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	_ = json.NewEncoder(w).Encode(v)
}

// sent renders what the server received, for a golden file: the login (its URL parameters
// and the fields we choose; the client's description of its own machine is left out), then
// every statement.
func (f *fakeServer) sent() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for i, login := range f.logins {
		fmt.Fprintf(&b, "LOGIN ?%s\n", f.loginURL[i])
		keys := make([]string, 0, len(login))
		for k := range login {
			if k == "CLIENT_ENVIRONMENT" || k == "CLIENT_APP_VERSION" || k == "SVN_REVISION" {
				continue
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "PASSWORD" || k == "TOKEN" {
				fmt.Fprintf(&b, "  %s: <secret>\n", k)
				continue
			}
			raw, _ := json.Marshal(login[k])
			fmt.Fprintf(&b, "  %s: %s\n", k, raw)
		}
	}
	for _, q := range f.queries {
		mode := "QUERY"
		if q.DescribeOnly {
			mode = "DESCRIBE ONLY"
		}
		params := ""
		if len(q.Parameters) > 0 {
			raw, _ := json.Marshal(q.Parameters)
			params = " " + string(raw)
		}
		fmt.Fprintf(&b, "%s%s:\n%s\n", mode, params, q.SQL)
	}
	return b.String()
}

func (f *fakeServer) queryCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queries)
}
