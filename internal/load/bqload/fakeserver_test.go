package bqload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeBigQuery speaks the part of the BigQuery REST API the client library uses to load: jobs
// (queries, and loads with their data uploaded in one multipart request or as a resumable
// upload), jobs.get, getQueryResults and tables.get. It records every request for golden files
// and keeps a small model of what matters to the loader's safety: which tables exist, what each
// load job received, and which runs a publishing script committed (its guard answers from it).
// It runs no SQL: the statements themselves are checked against BigQuery by the live tests.
type fakeBigQuery struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []string
	jobs     map[string]*fakeJob
	// tables are the existing tables of the dataset, with their columns.
	tables map[string][]string
	// committed are the "run id/target" pairs a publishing script committed.
	committed map[string]bool
	// published counts the scripts that ran their data (the guard found nothing).
	published int
	// uploads are the bodies of the load jobs, in order.
	uploads []string
	// fail, when set, decides that a job fails and how: "" lets it run.
	fail func(kind, sql string) string
	// failAfterCommit makes the next publishing script commit, then fail its reply (the
	// client sees an error although the data is in).
	failAfterCommit bool
	// pending, when set, says which query jobs never end on their own (until cancelled).
	pending func(sql string) bool
	// cancelled are the SQL texts of the jobs the client cancelled.
	cancelled  []string
	sessions   map[string]*bytes.Buffer
	sessionJob map[string]map[string]any
}

type fakeJob struct {
	id, kind, sql, location string
	params                  map[string]any
	errMessage              string
	rows                    [][]any
	fields                  []map[string]any
	outputRows              int64
	configuration           map[string]any
	running                 bool
}

const (
	basePath  = "/bigquery/v2/"
	uploadAPI = "/upload/bigquery/v2/"
)

func newFakeBigQuery(t *testing.T) *fakeBigQuery {
	t.Helper()
	f := &fakeBigQuery{jobs: map[string]*fakeJob{}, tables: map[string][]string{}, committed: map[string]bool{},
		sessions: map[string]*bytes.Buffer{}, sessionJob: map[string]map[string]any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeBigQuery) endpoint() string { return f.srv.URL + basePath }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, reason, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": msg,
		"errors": []any{map[string]any{"reason": reason, "message": msg}}}})
}

func (f *fakeBigQuery) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case strings.HasPrefix(r.URL.Path, "/upload/session/"):
		f.resumable(w, r, body)
	case strings.HasPrefix(r.URL.Path, uploadAPI):
		f.upload(w, r, body)
	default:
		f.api(w, r, body)
	}
}

func (f *fakeBigQuery) api(w http.ResponseWriter, r *http.Request, body []byte) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, basePath), "/")
	switch {
	// projects/{p}/jobs
	case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "jobs":
		f.record(r, body, "")
		var job map[string]any
		_ = json.Unmarshal(body, &job)
		f.insertJob(w, job)
	// projects/{p}/jobs/{id}/cancel
	case r.Method == http.MethodPost && len(parts) == 5 && parts[2] == "jobs" && parts[4] == "cancel":
		f.record(r, nil, "")
		j := f.job(parts[3])
		if j == nil {
			apiError(w, http.StatusNotFound, "notFound", "no job "+parts[3])
			return
		}
		f.mu.Lock()
		j.running, j.errMessage = false, "Job execution was cancelled: User requested cancellation"
		f.cancelled = append(f.cancelled, j.sql)
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"kind": "bigquery#jobCancelResponse", "job": f.jobResource(parts[1], j)})
	// projects/{p}/jobs/{id}
	case r.Method == http.MethodGet && len(parts) == 4 && parts[2] == "jobs":
		f.record(r, nil, "")
		if j := f.job(parts[3]); j != nil {
			writeJSON(w, http.StatusOK, f.jobResource(parts[1], j))
			return
		}
		apiError(w, http.StatusNotFound, "notFound", "no job "+parts[3])
	// projects/{p}/queries/{id}
	case r.Method == http.MethodGet && len(parts) == 4 && parts[2] == "queries":
		f.record(r, nil, "")
		j := f.job(parts[3])
		if j == nil {
			apiError(w, http.StatusNotFound, "notFound", "no job "+parts[3])
			return
		}
		rows := make([]any, 0, len(j.rows))
		for _, row := range j.rows {
			cells := make([]any, len(row))
			for i, v := range row {
				cells[i] = map[string]any{"v": v}
			}
			rows = append(rows, map[string]any{"f": cells})
		}
		if r.URL.Query().Get("maxResults") == "0" {
			rows = nil
		}
		f.mu.Lock()
		running := j.running
		f.mu.Unlock()
		if running {
			writeJSON(w, http.StatusOK, map[string]any{"kind": "bigquery#getQueryResultsResponse", "jobComplete": false,
				"jobReference": map[string]any{"projectId": parts[1], "jobId": parts[3]}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"kind": "bigquery#getQueryResultsResponse", "jobComplete": true,
			"jobReference": map[string]any{"projectId": parts[1], "jobId": parts[3]},
			"schema":       map[string]any{"fields": j.fields}, "totalRows": strconv.Itoa(len(j.rows)), "rows": rows})
	// projects/{p}/datasets/{d}/tables/{t}
	case r.Method == http.MethodGet && len(parts) == 6 && parts[4] == "tables":
		f.record(r, nil, "")
		f.mu.Lock()
		cols, ok := f.tables[parts[5]]
		f.mu.Unlock()
		if !ok {
			apiError(w, http.StatusNotFound, "notFound", "Not found: Table "+parts[1]+":"+parts[3]+"."+parts[5])
			return
		}
		fields := make([]any, len(cols))
		for i, c := range cols {
			fields[i] = map[string]any{"name": c, "type": "STRING"}
		}
		writeJSON(w, http.StatusOK, map[string]any{"kind": "bigquery#table",
			"tableReference": map[string]any{"projectId": parts[1], "datasetId": parts[3], "tableId": parts[5]},
			"schema":         map[string]any{"fields": fields}, "type": "TABLE"})
	default:
		f.record(r, body, "")
		apiError(w, http.StatusNotFound, "notFound", "not here: "+r.Method+" "+r.URL.Path)
	}
}

func (f *fakeBigQuery) job(id string) *fakeJob {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jobs[id]
}

func (f *fakeBigQuery) jobResource(project string, j *fakeJob) map[string]any {
	f.mu.Lock()
	running, errMessage := j.running, j.errMessage
	f.mu.Unlock()
	status := map[string]any{"state": "DONE"}
	if running {
		status["state"] = "RUNNING"
	}
	if errMessage != "" {
		status["errorResult"] = map[string]any{"reason": "invalid", "message": errMessage}
		status["errors"] = []any{map[string]any{"reason": "invalid", "message": errMessage}}
	}
	stats := map[string]any{"creationTime": "1", "startTime": "1", "endTime": "2"}
	if j.kind == "load" {
		stats["load"] = map[string]any{"outputRows": strconv.FormatInt(j.outputRows, 10), "inputFiles": "1"}
	} else {
		stats["query"] = map[string]any{"statementType": "SCRIPT"}
	}
	return map[string]any{"kind": "bigquery#job", "id": project + ":" + j.id,
		"jobReference":  map[string]any{"projectId": project, "jobId": j.id, "location": j.location},
		"configuration": j.configuration, "status": status, "statistics": stats}
}

var (
	targetRe = regexp.MustCompile("(?:INSERT INTO|MERGE INTO|DELETE FROM) `[^`]*`\\.`((?:[^`\\\\]|\\\\.)*)`")
	createRe = regexp.MustCompile("^CREATE (?:OR REPLACE )?TABLE (?:IF NOT EXISTS )?`[^`]*`\\.`((?:[^`\\\\]|\\\\.)*)`")
	dropRe   = regexp.MustCompile("^DROP TABLE IF EXISTS `[^`]*`\\.`((?:[^`\\\\]|\\\\.)*)`")
)

// insertJob runs a query job at once (the model's part of it) or fails it.
func (f *fakeBigQuery) insertJob(w http.ResponseWriter, job map[string]any) {
	cfg, _ := job["configuration"].(map[string]any)
	ref, _ := job["jobReference"].(map[string]any)
	project, _ := ref["projectId"].(string)
	id, _ := ref["jobId"].(string)
	q, _ := cfg["query"].(map[string]any)
	sql, _ := q["query"].(string)
	params := map[string]any{}
	if ps, ok := q["queryParameters"].([]any); ok {
		for _, p := range ps {
			pm, _ := p.(map[string]any)
			name, _ := pm["name"].(string)
			params[name] = pm["parameterValue"]
		}
	}
	location, _ := ref["location"].(string)
	j := &fakeJob{id: id, kind: "query", sql: sql, location: location, params: params, configuration: cfg}
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		if msg := fail("query", sql); msg != "" {
			apiError(w, http.StatusBadRequest, "invalidQuery", msg)
			return
		}
	}
	f.mu.Lock()
	lost := false
	if f.pending != nil && f.pending(sql) {
		j.running = true
		f.jobs[id] = j
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, f.jobResource(project, j))
		return
	}
	switch {
	case strings.HasPrefix(sql, "DECLARE already"):
		run := scalar(params["run_id"])
		target := ""
		if m := targetRe.FindStringSubmatch(sql); m != nil {
			target = m[1]
		}
		already := "0"
		if strings.Contains(sql, "SET already") && f.committed[run+"/"+target] {
			already = "1"
		} else {
			f.committed[run+"/"+target] = true
			f.published++
		}
		written := scalar(params["staged"])
		if written == "" { // merge counts its keys in SQL: the fake takes the last load's rows
			written = "0"
			if len(f.uploads) > 0 {
				written = strconv.Itoa(strings.Count(f.uploads[len(f.uploads)-1], "\n"))
			}
		}
		j.rows = [][]any{{already, written}}
		j.fields = []map[string]any{{"name": "already", "type": "INTEGER"}, {"name": "written", "type": "INTEGER"}}
		lost, f.failAfterCommit = f.failAfterCommit, false
	case createRe.MatchString(sql):
		name := unescape(createRe.FindStringSubmatch(sql)[1])
		if _, ok := f.tables[name]; !ok || strings.HasPrefix(sql, "CREATE OR REPLACE") {
			f.tables[name] = []string{"(created)"}
		}
	case dropRe.MatchString(sql):
		delete(f.tables, unescape(dropRe.FindStringSubmatch(sql)[1]))
	case strings.HasPrefix(sql, "SELECT table_name, rows_written"):
		j.rows = [][]any{{"orders", "3"}, {"customers", "0"}}
		j.fields = []map[string]any{{"name": "table_name", "type": "STRING"}, {"name": "rows_written", "type": "INTEGER"}}
	case strings.HasPrefix(sql, "SELECT cursor_value"):
		j.rows = [][]any{{"2026-01-02"}}
		j.fields = []map[string]any{{"name": "cursor_value", "type": "STRING"}}
	}
	f.jobs[id] = j
	f.mu.Unlock()
	if lost {
		apiError(w, http.StatusBadRequest, "invalid", "the reply was lost (simulated)")
		return
	}
	writeJSON(w, http.StatusOK, f.jobResource(project, j))
}

func unescape(name string) string {
	return strings.NewReplacer("\\`", "`", `\\`, `\`).Replace(name)
}

// scalar is a parameter's value as the client sent it.
func scalar(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["value"].(string)
	return s
}

// upload takes a load job and its data: multipart (one request) or the start of a resumable
// upload.
func (f *fakeBigQuery) upload(w http.ResponseWriter, r *http.Request, body []byte) {
	switch r.URL.Query().Get("uploadType") {
	case "multipart":
		_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil {
			apiError(w, http.StatusBadRequest, "invalid", err.Error())
			return
		}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		meta, err := mr.NextPart()
		if err != nil {
			apiError(w, http.StatusBadRequest, "invalid", err.Error())
			return
		}
		metaBody, _ := io.ReadAll(meta)
		media, err := mr.NextPart()
		if err != nil {
			apiError(w, http.StatusBadRequest, "invalid", err.Error())
			return
		}
		data, _ := io.ReadAll(media)
		f.record(r, metaBody, string(data))
		var job map[string]any
		_ = json.Unmarshal(metaBody, &job)
		f.loadJob(w, job, data)
	case "resumable":
		f.record(r, body, "")
		var job map[string]any
		_ = json.Unmarshal(body, &job)
		f.mu.Lock()
		id := strconv.Itoa(len(f.sessions) + 1)
		f.sessions[id] = &bytes.Buffer{}
		f.sessionJob[id] = job
		f.mu.Unlock()
		w.Header().Set("Location", f.srv.URL+"/upload/session/"+id)
		w.WriteHeader(http.StatusOK)
	default:
		apiError(w, http.StatusBadRequest, "invalid", "uploadType "+r.URL.Query().Get("uploadType"))
	}
}

// resumable takes one chunk of a resumable upload ("Content-Range: bytes a-b/total|*").
func (f *fakeBigQuery) resumable(w http.ResponseWriter, r *http.Request, body []byte) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/session/")
	f.mu.Lock()
	buf, job := f.sessions[id], f.sessionJob[id]
	if buf != nil {
		buf.Write(body)
	}
	f.mu.Unlock()
	if buf == nil {
		apiError(w, http.StatusNotFound, "notFound", "no upload session")
		return
	}
	cr := r.Header.Get("Content-Range")
	f.record(r, nil, "")
	f.mu.Lock()
	f.requests[len(f.requests)-1] += " Content-Range: " + cr
	f.mu.Unlock()
	if strings.HasSuffix(cr, "/*") {
		// "Resume incomplete": the client asks (X-GUploader-No-308) for a 200 that says 308.
		require308 := r.Header.Get("X-GUploader-No-308") == "yes"
		w.Header().Set("Range", fmt.Sprintf("bytes=0-%d", buf.Len()-1))
		if require308 {
			w.Header().Set("X-Http-Status-Code-Override", "308")
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusPermanentRedirect)
		return
	}
	f.loadJob(w, job, buf.Bytes())
}

// loadJob finishes a load job: its rows are the lines received (or it fails).
func (f *fakeBigQuery) loadJob(w http.ResponseWriter, job map[string]any, data []byte) {
	cfg, _ := job["configuration"].(map[string]any)
	ref, _ := job["jobReference"].(map[string]any)
	project, _ := ref["projectId"].(string)
	id, _ := ref["jobId"].(string)
	lines := int64(bytes.Count(data, []byte("\n")))
	location, _ := ref["location"].(string)
	j := &fakeJob{id: id, kind: "load", location: location, configuration: cfg, outputRows: lines}
	f.mu.Lock()
	fail := f.fail
	f.uploads = append(f.uploads, string(data))
	f.mu.Unlock()
	if fail != nil {
		j.errMessage = fail("load", "")
		if j.errMessage != "" {
			j.outputRows = 0
		}
	}
	f.mu.Lock()
	f.jobs[id] = j
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, f.jobResource(project, j))
}

// record keeps a request for the golden file: method, path and query (random ids replaced),
// the JSON body with sorted keys, and the uploaded data.
func (f *fakeBigQuery) record(r *http.Request, body []byte, media string) {
	q := r.URL.Query()
	for _, k := range []string{"alt", "prettyPrint", "timeoutMs", "formatOptions.useInt64Timestamp"} {
		q.Del(k)
	}
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
	if parts := strings.Split(strings.TrimPrefix(path, basePath), "/"); len(parts) == 4 && (parts[2] == "jobs" || parts[2] == "queries") {
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
			var pretty strings.Builder
			enc := json.NewEncoder(&pretty)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			_ = enc.Encode(doc)
			line += "\n" + strings.TrimSuffix(pretty.String(), "\n")
		}
	}
	if media != "" {
		line += "\n<data>\n" + strings.TrimSuffix(media, "\n") + "\n</data>"
	}
	f.mu.Lock()
	f.requests = append(f.requests, line)
	f.mu.Unlock()
}

// sent is the requests so far, and forgets them.
func (f *fakeBigQuery) sent() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := strings.Join(f.requests, "\n") + "\n"
	f.requests = nil
	return out
}

// queries are the SQL texts of the query jobs, in order.
func (f *fakeBigQuery) queries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, line := range f.requests {
		if !strings.HasPrefix(line, "POST "+basePath) || !strings.Contains(line, `"query": {`) {
			continue
		}
		var doc map[string]any
		if json.Unmarshal([]byte(line[strings.Index(line, "\n")+1:]), &doc) == nil {
			cfg, _ := doc["configuration"].(map[string]any)
			q, _ := cfg["query"].(map[string]any)
			s, _ := q["query"].(string)
			out = append(out, s)
		}
	}
	return out
}
