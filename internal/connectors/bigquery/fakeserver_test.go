package bigquery

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

// fakeServer speaks just enough of the BigQuery REST API (jobs.insert, jobs.get,
// jobs.getQueryResults) for the client library to run Test, Catalog and Query against it on
// 127.0.0.1, and records what it is sent: the proof of what the connector sends, kept in
// golden files.
type fakeServer struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []string
	inserted []fakeJob
	// answer decides the reply to a statement; nil answers a one-column SELECT.
	answer func(sql string, dryRun bool) fakeAnswer
	// tokenError, when set, is the token endpoint's refusal.
	tokenError string
	// unauthenticated counts API calls that came without the token the endpoint issued.
	unauthenticated int
}

type fakeJob struct {
	SQL    string
	DryRun bool
}

// fakeAnswer is a statement's reply: a result, or an error.
type fakeAnswer struct {
	statementType string
	fields        []map[string]any
	rows          [][]any
	errMessage    string
}

const basePath = "/bigquery/v2/"

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) endpoint() string { return f.srv.URL + basePath }

func (f *fakeServer) reply(sql string, dryRun bool) fakeAnswer {
	f.mu.Lock()
	answer := f.answer
	f.mu.Unlock()
	if answer == nil {
		return fakeAnswer{statementType: "SELECT", fields: []map[string]any{{"name": "f0_", "type": "INTEGER", "mode": "NULLABLE"}},
			rows: [][]any{{"1"}}}
	}
	return answer(sql, dryRun)
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/token" {
		form, _ := url.ParseQuery(string(body))
		f.mu.Lock()
		f.requests = append(f.requests, "POST /token grant_type="+form.Get("grant_type")+" assertion=<signed JWT>")
		tokenError := f.tokenError
		f.mu.Unlock()
		if tokenError != "" {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]any{"error": "invalid_grant", "error_description": tokenError})
			return
		}
		writeJSON(w, map[string]any{"access_token": "fake-access-token", "token_type": "Bearer", "expires_in": 3600})
		return
	}
	if r.Header.Get("Authorization") != "Bearer fake-access-token" {
		f.mu.Lock()
		f.unauthenticated++
		f.mu.Unlock()
	}
	path := strings.TrimPrefix(r.URL.Path, basePath)
	parts := strings.Split(path, "/") // projects/{p}/jobs[/{id}] or projects/{p}/queries/{id}
	switch {
	case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "jobs":
		var job map[string]any
		_ = json.Unmarshal(body, &job)
		cfg, _ := job["configuration"].(map[string]any)
		query, _ := cfg["query"].(map[string]any)
		sql, _ := query["query"].(string)
		dryRun, _ := cfg["dryRun"].(bool)
		ref, _ := job["jobReference"].(map[string]any)
		f.record(r, body)
		f.mu.Lock()
		f.inserted = append(f.inserted, fakeJob{SQL: sql, DryRun: dryRun})
		f.mu.Unlock()
		a := f.reply(sql, dryRun)
		if a.errMessage != "" {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]any{"error": map[string]any{"code": 400, "message": a.errMessage,
				"errors": []any{map[string]any{"reason": "invalidQuery", "message": a.errMessage}}}})
			return
		}
		writeJSON(w, map[string]any{"kind": "bigquery#job", "jobReference": ref, "configuration": cfg,
			"status": map[string]any{"state": "DONE"},
			"statistics": map[string]any{"creationTime": "1", "startTime": "1", "endTime": "2",
				"query": map[string]any{"statementType": a.statementType, "totalBytesProcessed": "0",
					"schema": map[string]any{"fields": a.fields}}}})
	case r.Method == http.MethodGet && len(parts) == 4 && parts[2] == "queries":
		f.record(r, nil)
		f.mu.Lock()
		last := f.inserted[len(f.inserted)-1]
		f.mu.Unlock()
		a := f.reply(last.SQL, false)
		rows := make([]any, 0, len(a.rows))
		for _, row := range a.rows {
			cells := make([]any, len(row))
			for i, v := range row {
				cells[i] = map[string]any{"v": v}
			}
			rows = append(rows, map[string]any{"f": cells})
		}
		writeJSON(w, map[string]any{"kind": "bigquery#getQueryResultsResponse", "jobComplete": true,
			"jobReference": map[string]any{"projectId": parts[1], "jobId": parts[3], "location": "EU"},
			"schema":       map[string]any{"fields": a.fields}, "totalRows": fmt.Sprint(len(a.rows)), "rows": rows})
	case r.Method == http.MethodGet && len(parts) == 4 && parts[2] == "jobs":
		f.record(r, nil)
		f.mu.Lock()
		last := f.inserted[len(f.inserted)-1]
		f.mu.Unlock()
		a := f.reply(last.SQL, false)
		writeJSON(w, map[string]any{"kind": "bigquery#job",
			"jobReference": map[string]any{"projectId": parts[1], "jobId": parts[3], "location": "EU"},
			"status":       map[string]any{"state": "DONE"},
			"statistics":   map[string]any{"query": map[string]any{"statementType": a.statementType}},
			"configuration": map[string]any{"query": map[string]any{"query": last.SQL,
				"destinationTable": map[string]any{"projectId": parts[1], "datasetId": "_anon", "tableId": "anon"}}}})
	default:
		f.record(r, body)
		w.WriteHeader(http.StatusNotFound)
		writeJSON(w, map[string]any{"error": map[string]any{"code": 404, "message": "not here: " + r.URL.Path}})
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	_ = json.NewEncoder(w).Encode(v)
}

// record keeps a request for the golden file: method, path and query with the random job id
// and request id replaced, and the JSON body with sorted keys.
func (f *fakeServer) record(r *http.Request, body []byte) {
	q := r.URL.Query()
	q.Del("alt")
	q.Del("prettyPrint")
	var keys []string
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var params []string
	for _, k := range keys {
		params = append(params, k+"="+strings.Join(q[k], ","))
	}
	path := r.URL.Path
	if parts := strings.Split(strings.TrimPrefix(path, basePath), "/"); len(parts) == 4 {
		path = basePath + strings.Join(parts[:3], "/") + "/<job id>"
	}
	line := r.Method + " " + path
	if len(params) > 0 {
		line += "?" + strings.Join(params, "&")
	}
	if len(body) > 0 {
		var doc map[string]any
		if json.Unmarshal(body, &doc) == nil {
			if ref, ok := doc["jobReference"].(map[string]any); ok {
				ref["jobId"] = "<job id>"
			}
			delete(doc, "requestId")
			var pretty strings.Builder
			enc := json.NewEncoder(&pretty)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			_ = enc.Encode(doc)
			line += "\n" + strings.TrimSuffix(pretty.String(), "\n")
		}
	}
	f.mu.Lock()
	f.requests = append(f.requests, line)
	f.mu.Unlock()
}

func (f *fakeServer) sent() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.requests, "\n") + "\n"
}

func (f *fakeServer) jobs() []fakeJob {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeJob(nil), f.inserted...)
}
