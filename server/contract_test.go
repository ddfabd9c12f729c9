package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika"
	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/oauth"
	"github.com/datanika/datanika/internal/testutil"
)

// TestContract_EveryOperationFollowsTheConventions walks openapi.yaml so that a new operation
// cannot land without an operationId, a tag, a summary and the Problem default response, and
// so that every business path sits under /api/v1 (SPEC §3).
func TestContract_EveryOperationFollowsTheConventions(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(datanika.OpenAPISpec)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	require.Equal(t, "3.0.3", doc.OpenAPI)

	operationsPaths := map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}
	seen := map[string]string{}
	for path, item := range doc.Paths.Map() {
		if !operationsPaths[path] {
			require.Regexp(t, `^/api/v1/`, path)
		}
		for method, op := range item.Operations() {
			where := method + " " + path
			require.NotEmpty(t, op.OperationID, where)
			require.NotContains(t, seen, op.OperationID, "operationId %s is used twice", op.OperationID)
			seen[op.OperationID] = where
			require.NotEmpty(t, op.Tags, where)
			require.NotEmpty(t, op.Summary, where)
			def := op.Responses.Default()
			require.NotNil(t, def, "%s has no default response", where)
			require.Equal(t, "#/components/responses/Problem", def.Ref, where)
			hasSuccess := false
			for code := range op.Responses.Map() {
				if code[0] == '2' || code[0] == '3' {
					hasSuccess = true
				}
			}
			require.True(t, hasSuccess, "%s documents no success response", where)
		}
	}
	require.NotEmpty(t, seen)
}

// TestContract_HostileInputIsRefusedAtTheEdge sends, to every operation of openapi.yaml, the
// input that has crashed or corrupted requests before: NUL characters (PostgreSQL text refuses
// them), lone UTF-16 surrogates and invalid UTF-8 (which Go's decoder would silently turn into
// U+FFFD), strings of 1 MiB (beyond MAX_BODY_KB's default) and 10,000 levels of nesting. For
// every operation with a JSON body, each of those goes into each string and each object key of
// bodies built from the operation's request schema (with the required properties, with all of
// them) and of the valid body the RBAC test sends (alone, and completed with the schema's other
// properties); for every GET operation, NUL and invalid UTF-8 go into each query and path
// parameter. Operations are walked from the spec, so a new one is covered as it lands.
//
// Every answer must be a problem: 422 naming the field for bad text and too deep nesting, 413
// for too large a body; never a 5xx. And nothing is written.
func TestContract_HostileInputIsRefusedAtTheEdge(t *testing.T) {
	t.Parallel()
	adminPool, dbURL := testutil.NewDatabase(t)
	fake := newFakeProvider(t)
	s := setupWithPool(t, testutil.AppPool(t, dbURL), func(d *Deps) {
		d.MaxBodyBytes = 1024 * 1024 // MAX_BODY_KB's default
		d.OAuth = oauth.Providers(oauth.Settings{
			GitHubClientID: "gh-client", GitHubClientSecret: "gh-secret", RedirectBase: "http://datanika.test",
			GitHubAuthURL: fake.srv.URL + "/authorize", GitHubTokenURL: fake.srv.URL + "/token", GitHubAPIBase: fake.srv.URL + "/api",
			GoogleClientID: "g-client", GoogleClientSecret: "g-secret",
			GoogleAuthURL: fake.srv.URL + "/authorize", GoogleTokenURL: fake.srv.URL + "/token", GoogleAPIBase: fake.srv.URL + "/api",
		})
		d.OAuthClient = fake.srv.Client()
	})
	f := s.newOrg(t)
	doc, err := openapi3.NewLoader().LoadFromData(datanika.OpenAPISpec)
	require.NoError(t, err)

	// Targets first (the builders create the resources they name), then the state to keep.
	type target struct {
		method, template, path string
		op                     *openapi3.Operation
		bodies                 []any
	}
	var targets []target
	for _, tmpl := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(tmpl).Operations() {
			tg := target{method: method, template: tmpl, path: "/" + strings.Join(fuzzPathSegments(op, tmpl, nil), "/"), op: op}
			var valid any
			if build, ok := requestBuilders[op.OperationID]; ok {
				r := build(t, s, f)
				tg.path, _, _ = strings.Cut(r.path, "?")
				if _, isUpload := r.body.(upload); !isUpload {
					valid = r.body
				}
			}
			if media := jsonBody(op); media != nil {
				bodies := []any{sampleValue("", media.Schema.Value, false, 0), sampleValue("", media.Schema.Value, true, 0)}
				if valid != nil {
					raw, err := json.Marshal(valid)
					require.NoError(t, err)
					var generic any
					require.NoError(t, json.Unmarshal(raw, &generic))
					// The valid body, and the valid body with every other property of the schema.
					if m, ok := generic.(map[string]any); ok {
						if full, ok := bodies[1].(map[string]any); ok {
							merged := maps.Clone(full)
							maps.Copy(merged, m)
							bodies = append(bodies, merged)
						}
					}
					bodies = append(bodies, generic)
				}
				tg.bodies = bodies
			}
			targets = append(targets, tg)
		}
	}
	sort.Slice(targets, func(i, j int) bool {
		return targets[i].template+targets[i].method < targets[j].template+targets[j].method
	})
	before := rowCounts(t, adminPool)

	start := time.Now()
	failures := map[string]bool{}
	requests := 0
	send := func(method, path string, body []byte) *httptest.ResponseRecorder {
		requests++
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
			req.ContentLength = -1 // streamed, so that the body limit is met while reading
		}
		req.Header.Set("Authorization", "Bearer "+f.owner.AccessToken)
		n := ipSeq.Add(1)
		req.RemoteAddr = fmt.Sprintf("203.0.%d.%d:1234", (n/250)%250, n%250+1)
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		return rec
	}
	// check records what is wrong with an answer: a 5xx, an answer that is not a problem, another
	// status than wanted, or a 422 that does not name the field.
	check := func(rec *httptest.ResponseRecorder, what string, want int, field string) {
		var p api.Problem
		switch {
		case rec.Code >= 500:
			failures[fmt.Sprintf("%s: %d", what, rec.Code)] = true
		case rec.Header().Get("Content-Type") != problemContentType || json.Unmarshal(rec.Body.Bytes(), &p) != nil:
			failures[fmt.Sprintf("%s: %d, not a problem", what, rec.Code)] = true
		case want != 0 && rec.Code != want:
			failures[fmt.Sprintf("%s: %d, want %d", what, rec.Code, want)] = true
		case field != "" && !slices.Contains(fieldNames(p), field):
			failures[fmt.Sprintf("%s: %d naming %v, not %q", what, rec.Code, fieldNames(p), field)] = true
		}
	}

	huge := `"` + strings.Repeat("x", 1<<20) + `"`
	texts := []struct{ name, raw string }{
		{"NUL", `"fu\u0000zz"`},
		{"a lone surrogate", `"fu\ud800zz"`},
		{"invalid UTF-8", "\"fu\xffzz\""},
	}
	for _, tg := range targets {
		for i, body := range tg.bodies {
			for _, slot := range fuzzSlots(body, nil) {
				marked := withMarker(t, body, slot)
				for _, x := range texts {
					field := slot.path()
					if slot.key {
						field = joinPath(slot.parent(), "fu\uFFFDzz")
					}
					rec := send(tg.method, tg.path, bytes.Replace(marked, []byte(`"`+fuzzMarker+`"`), []byte(x.raw), 1))
					check(rec, fmt.Sprintf("%s %s %s with %s", tg.method, tg.template, slot.name(), x.name), http.StatusUnprocessableEntity, field)
				}
				if i == len(tg.bodies)-1 && !slot.key {
					rec := send(tg.method, tg.path, bytes.Replace(marked, []byte(`"`+fuzzMarker+`"`), []byte(huge), 1))
					check(rec, fmt.Sprintf("%s %s %s of 1 MiB", tg.method, tg.template, slot.name()), http.StatusRequestEntityTooLarge, "")
				}
			}
		}
		if len(tg.bodies) > 0 {
			for _, deep := range []string{
				strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
				strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
				`{"name":` + strings.Repeat(`[{"a":`, 5000) + strings.Repeat("}]", 5000) + "}",
			} {
				began := time.Now()
				rec := send(tg.method, tg.path, []byte(deep))
				check(rec, fmt.Sprintf("%s %s nested 10,000 deep (%.12s…)", tg.method, tg.template, deep), 0, "")
				require.Less(t, time.Since(began), 2*time.Second, "%s %s nested 10,000 deep", tg.method, tg.template)
			}
		}
		if tg.method != http.MethodGet {
			continue
		}
		for _, bad := range []struct{ name, escaped string }{{"NUL", "fu%00zz"}, {"invalid UTF-8", "fu%FFzz"}} {
			for _, p := range tg.op.Parameters {
				param := p.Value
				var target string
				switch param.In {
				case openapi3.ParameterInQuery:
					target = tg.path + "?" + url.QueryEscape(param.Name) + "=" + bad.escaped
				case openapi3.ParameterInPath:
					target = "/" + strings.Join(fuzzPathSegments(tg.op, tg.template, map[string]string{param.Name: bad.escaped}), "/")
					target = mergePath(target, tg.path, param.Name, tg.template)
				default:
					continue
				}
				rec := send(tg.method, target, nil)
				check(rec, fmt.Sprintf("%s %s parameter %s with %s", tg.method, tg.template, param.Name, bad.name), http.StatusUnprocessableEntity, param.Name)
			}
		}
	}
	elapsed := time.Since(start)
	lines := slices.Sorted(maps.Keys(failures))
	require.Zero(t, len(lines), "%d of %d hostile requests were not refused as they should be:\n%s", len(lines), requests, strings.Join(lines, "\n"))
	require.Equal(t, before, rowCounts(t, adminPool), "a refused request changed the database")
	t.Logf("%d hostile requests to %d operations in %s", requests, len(targets), elapsed)
}

// fuzzMarker stands for the hostile string in a body before it is put in: json.Marshal would
// repair invalid UTF-8, so the bytes are replaced after marshalling.
const fuzzMarker = "FUZZ-SLOT-MARKER"

// fuzzSlot is one place of a body where a hostile string goes: a string value, or an object key.
type fuzzSlot struct {
	segs []string // the path to the value, or to the key's value
	key  bool
}

func (s fuzzSlot) path() string { return strings.Join(s.segs, ".") }

func (s fuzzSlot) parent() string { return strings.Join(s.segs[:len(s.segs)-1], ".") }

func (s fuzzSlot) name() string {
	switch {
	case !s.key:
		return s.path()
	case len(s.segs) == 1:
		return "a key"
	default:
		return "a key of " + s.parent()
	}
}

// fuzzSlots lists every string value and object key of v.
func fuzzSlots(v any, segs []string) []fuzzSlot {
	var out []fuzzSlot
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			at := append(slices.Clip(segs), k)
			out = append(out, fuzzSlot{segs: at, key: true})
			out = append(out, fuzzSlots(x[k], at)...)
		}
	case []any:
		for i, item := range x {
			out = append(out, fuzzSlots(item, append(slices.Clip(segs), strconv.Itoa(i)))...)
		}
	case string:
		out = append(out, fuzzSlot{segs: segs})
	}
	return out
}

// withMarker marshals v with fuzzMarker in place of the slot's value or key.
func withMarker(t *testing.T, v any, slot fuzzSlot) []byte {
	t.Helper()
	var put func(v any, segs []string) any
	put = func(v any, segs []string) any {
		switch x := v.(type) {
		case map[string]any:
			c := maps.Clone(x)
			if len(segs) == 1 && slot.key {
				delete(c, segs[0])
				c[fuzzMarker] = x[segs[0]]
				return c
			}
			c[segs[0]] = put(x[segs[0]], segs[1:])
			return c
		case []any:
			c := slices.Clone(x)
			i, err := strconv.Atoi(segs[0])
			require.NoError(t, err)
			c[i] = put(x[i], segs[1:])
			return c
		default:
			return fuzzMarker
		}
	}
	raw, err := json.Marshal(put(v, slot.segs))
	require.NoError(t, err)
	require.Equal(t, 1, bytes.Count(raw, []byte(fuzzMarker)))
	return raw
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// sampleValue builds a value that follows schema s: every property when all is set, else only
// the required ones; free-form objects get one key. Emails are unique, so sign-ups do not clash.
func sampleValue(name string, s *openapi3.Schema, all bool, depth int) any {
	n := emailSeq.Add(1)
	switch {
	case depth > 8:
		return nil
	case len(s.Enum) > 0:
		return s.Enum[0]
	case len(s.AllOf) > 0:
		merged := map[string]any{}
		for _, part := range s.AllOf {
			if m, ok := sampleValue(name, part.Value, all, depth+1).(map[string]any); ok {
				maps.Copy(merged, m)
			}
		}
		return merged
	case s.Type.Is(openapi3.TypeObject) || len(s.Properties) > 0:
		m := map[string]any{}
		for name, p := range s.Properties {
			if all || slices.Contains(s.Required, name) {
				m[name] = sampleValue(name, p.Value, all, depth+1)
			}
		}
		if len(s.Properties) == 0 {
			if ap := s.AdditionalProperties.Schema; ap != nil {
				m[fmt.Sprintf("key%d", n)] = sampleValue("", ap.Value, all, depth+1)
			} else if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
				m[fmt.Sprintf("key%d", n)] = fmt.Sprintf("value%d", n)
			}
		}
		return m
	case s.Type.Is(openapi3.TypeArray):
		if s.Items == nil {
			return []any{}
		}
		return []any{sampleValue(name, s.Items.Value, all, depth+1)}
	case s.Type.Is(openapi3.TypeInteger), s.Type.Is(openapi3.TypeNumber):
		if s.Min != nil {
			return *s.Min
		}
		return 1
	case s.Type.Is(openapi3.TypeBoolean):
		return false
	case s.Type.Is(openapi3.TypeString):
		switch {
		case s.Format == "email", name == "email", strings.HasSuffix(name, "_email"):
			return fmt.Sprintf("fuzz%d@example.com", n)
		case s.Format == "date-time":
			return time.Date(2030, 1, 2, 3, 4, 5, int(n), time.UTC).Format(time.RFC3339Nano)
		case s.Format == "date":
			return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n)).Format(time.DateOnly)
		case s.Format == "uri", s.Format == "url":
			return fmt.Sprintf("https://example.com/%d", n)
		}
		v := fmt.Sprintf("fuzz%d", n)
		for uint64(len(v)) < s.MinLength {
			v += "z"
		}
		return v
	}
	return fmt.Sprintf("any%d", n)
}

// jsonBody is the JSON request body of op, or nil.
func jsonBody(op *openapi3.Operation) *openapi3.MediaType {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	return op.RequestBody.Value.Content.Get("application/json")
}

// fuzzPathSegments fills the path template's parameters: with the given raw values, else a
// value of the parameter's type.
func fuzzPathSegments(op *openapi3.Operation, tmpl string, values map[string]string) []string {
	segs := strings.Split(strings.TrimPrefix(tmpl, "/"), "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		name := strings.Trim(seg, "{}")
		if v, ok := values[name]; ok {
			segs[i] = v
			continue
		}
		segs[i] = "1"
		if p := op.Parameters.GetByInAndName(openapi3.ParameterInPath, name); p != nil && p.Schema != nil {
			if s := p.Schema.Value; len(s.Enum) > 0 {
				segs[i] = fmt.Sprint(s.Enum[0])
			} else if s.Type.Is(openapi3.TypeString) {
				segs[i] = "github"
			}
		}
	}
	return segs
}

// mergePath takes the segment of param from target and every other segment from built (a
// path of real resources), both following tmpl.
func mergePath(target, built, param, tmpl string) string {
	t, b, m := strings.Split(target, "/"), strings.Split(built, "/"), strings.Split(tmpl, "/")
	if len(b) != len(m) {
		return target
	}
	for i := range m {
		if m[i] != "{"+param+"}" {
			t[i] = b[i]
		}
	}
	return strings.Join(t, "/")
}

func fieldNames(p api.Problem) []string {
	var names []string
	if p.Errors != nil {
		for _, e := range *p.Errors {
			names = append(names, e.Field)
		}
	}
	return names
}

// rowCounts counts the rows of every table of the database.
func rowCounts(t *testing.T, pool *pgxpool.Pool) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	counts := map[string]int64{}
	for _, table := range tables {
		var n int64
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n)) //nolint:gosec // names from the catalog, quoted
		counts[table] = n
	}
	return counts
}
