package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/testutil"
)

func TestJSONTextErrors_NameEveryBadStringByItsPath(t *testing.T) {
	t.Parallel()
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tc := range []struct {
		name, body string
		want       []apperr.FieldError
	}{
		{"plain text passes", `{"name":"Orders ☃ \ud83d\ude00 \ufffd �","n":1,"ok":true,"x":null}`, nil},
		{"escapes in capitals", `{"name":"\uD83D\uDE00 \u00E9"}`, nil},
		{"an escaped backslash before u0000 is text", `{"name":"C:\\u0000"}`, nil},
		{"NUL in a value", `{"name":"a\u0000b"}`, []apperr.FieldError{{Field: "name", Message: "must not contain NUL characters (U+0000)"}}},
		{"NUL deep in config", `{"config":{"tables":[{"x":1},{"table":"pub\u0000lic"}]}}`, []apperr.FieldError{{Field: "config.tables.1.table", Message: "must not contain NUL characters (U+0000)"}}},
		{"NUL in a key", `{"config":{"a\u0000b":1}}`, []apperr.FieldError{{Field: "config.a\uFFFDb", Message: "is a key that must not contain NUL characters (U+0000)"}}},
		{"a lone high surrogate", `{"name":"\ud800"}`, []apperr.FieldError{{Field: "name", Message: "must not contain unpaired UTF-16 surrogates (\\ud800 to \\udfff)"}}},
		{"a high surrogate before a non-surrogate", `{"name":"\ud800\u0041"}`, []apperr.FieldError{{Field: "name", Message: "must not contain unpaired UTF-16 surrogates (\\ud800 to \\udfff)"}}},
		{"a lone low surrogate", `["ok","\uDC00"]`, []apperr.FieldError{{Field: "1", Message: "must not contain unpaired UTF-16 surrogates (\\ud800 to \\udfff)"}}},
		{"invalid UTF-8", "{\"name\":\"a\xffb\"}", []apperr.FieldError{{Field: "name", Message: "must be valid UTF-8 text"}}},
		{"every offence is named", `{"a":"\u0000","b":["x","\u0000"]}`, []apperr.FieldError{
			{Field: "a", Message: "must not contain NUL characters (U+0000)"},
			{Field: "b.1", Message: "must not contain NUL characters (U+0000)"},
		}},
		{"64 levels pass", deep(maxJSONDepth), nil},
		{"65 levels do not", deep(maxJSONDepth + 1), []apperr.FieldError{{Field: strings.TrimSuffix(strings.Repeat("0.", maxJSONDepth), "."), Message: "nests arrays and objects more than 64 levels deep"}}},
		{"10,000 levels stop at the limit", deep(10000), []apperr.FieldError{{Field: strings.TrimSuffix(strings.Repeat("0.", maxJSONDepth), "."), Message: "nests arrays and objects more than 64 levels deep"}}},
		{"not JSON is the validator's", `{"name":"\u0000",`, nil},
		{"an empty body is the validator's", ``, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, jsonTextErrors([]byte(tc.body)))
		})
	}
}

// The operations of issue #14 that answered 500: the text is refused before the handler runs
// (the login rate limit is not even looked up), nothing is written, and good text, U+FFFD and
// surrogate pairs included, is stored as sent.
func TestTextCheck_RefusesNULBeforeTheHandlerAndKeepsGoodText(t *testing.T) {
	t.Parallel()
	adminPool, dbURL := testutil.NewDatabase(t)
	s := setupWithPool(t, testutil.AppPool(t, dbURL))
	f := s.newOrg(t)
	conn := s.createConnection(t, f)
	pipe := s.createPipeline(t, f)
	before := rowCounts(t, adminPool)

	refused := func(method, path, token, body string, fields ...string) {
		t.Helper()
		p := decodeProblem(t, s.call(t, method, path, token, body), http.StatusUnprocessableEntity)
		require.Equal(t, api.ErrorCodeValidationFailed, *p.Code)
		require.ElementsMatch(t, fields, fieldNames(p), path)
	}
	refused(http.MethodPost, "/api/v1/auth/signup", "", `{"email":"nul@example.com","password":"`+testPassword+`","full_name":"A\u0000B"}`, "full_name")
	refused(http.MethodPost, "/api/v1/auth/login", "", `{"email":"a\u0000@example.com","password":"x"}`, "email")
	refused(http.MethodPatch, "/api/v1/me", f.owner.AccessToken, `{"full_name":"\u0000"}`, "full_name")
	refused(http.MethodPatch, "/api/v1/org", f.owner.AccessToken, `{"name":"Acme\u0000"}`, "name")
	refused(http.MethodPost, "/api/v1/api-keys", f.owner.AccessToken, `{"name":"ci\u0000","scopes":["read"]}`, "name")
	refused(http.MethodPatch, fmt.Sprintf("/api/v1/connections/%d", conn.Id), f.owner.AccessToken, `{"name":"\ud800"}`, "name")
	refused(http.MethodPost, "/api/v1/pipelines", f.owner.AccessToken, fmt.Sprintf(
		`{"name":"p\u0000","description":"d\u0000","source_connection_id":%d,"destination_connection_id":%d,"config":{"mode":"single_table","table":"public.or\u0000ders"}}`,
		conn.Id, conn.Id), "name", "description", "config.table")
	refused(http.MethodPatch, fmt.Sprintf("/api/v1/pipelines/%d", pipe.Id), f.owner.AccessToken, `{"config":{"mode":"single_table","table":"`+"\xff"+`"}}`, "config.table")
	refused(http.MethodGet, "/api/v1/audit-logs?action=a%00", f.owner.AccessToken, "", "action")
	refused(http.MethodGet, "/api/v1/connections/1%00", f.owner.AccessToken, "", "id")
	require.Equal(t, before, rowCounts(t, adminPool), "a refused request changed the database")

	name := "Ünïcode ☃ \U0001F600 \uFFFD"
	rec := s.call(t, http.MethodPatch, "/api/v1/org", f.owner.AccessToken, `{"name":"Ünïcode ☃ \ud83d\ude00 \ufffd"}`)
	require.Equal(t, name, decode[api.Org](t, rec, http.StatusOK).Name)
	require.Equal(t, name, decode[api.Org](t, s.call(t, http.MethodGet, "/api/v1/org", f.owner.AccessToken, nil), http.StatusOK).Name)
}
