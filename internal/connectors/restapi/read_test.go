package restapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

// pageOf answers page p (1-based, "page" query parameter) of total records, size per page.
func pageOf(r *http.Request, size, total int) (page int, recs []any) {
	page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	if page == 0 {
		page = 1
	}
	first := (page-1)*size + 1
	n := max(min(size, total-first+1), 0)
	return page, items(first, n)
}

func TestRead_JSONLinkFollowsRelativeAndAbsoluteLinks(t *testing.T) {
	t.Parallel()
	var s *server
	s = serve(t, func(w http.ResponseWriter, r *http.Request) {
		page, recs := pageOf(r, 2, 5)
		var next any
		switch page {
		case 1:
			next = "/v1/items?page=2" // relative to the host
		case 2:
			next = s.URL + "/v1/items?page=3"
		}
		writeJSON(w, map[string]any{"data": recs, "meta": map[string]any{"next_url": next}})
	})
	c := open(t, config(s.URL+"/v1", "/items", map[string]any{
		"paginator": map[string]any{"type": "json_link", "next_url_path": "meta.next_url"}}), openPolicy(t))
	recs, r, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2", "3", "4", "5"}, ids(recs))
	require.Equal(t, 3, r.Pages())
	require.Equal(t, []string{"", "page=2", "page=3"}, s.queries())
	require.Equal(t, "/v1/items", s.requests()[0].URL.Path)
}

func TestRead_AutoDetectsJSONNextLink(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		page, recs := pageOf(r, 2, 3)
		links := map[string]any{"next": nil}
		if page == 1 {
			links["next"] = "?page=2"
		}
		writeJSON(w, map[string]any{"results": recs, "links": links, "count": 3})
	})
	c := open(t, config(s.URL, "items", nil), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2", "3"}, ids(recs))
	require.Len(t, s.requests(), 2)
}

func TestRead_AutoDetectsLinkHeader(t *testing.T) {
	t.Parallel()
	var s *server
	s = serve(t, func(w http.ResponseWriter, r *http.Request) {
		page, recs := pageOf(r, 2, 4)
		if page == 1 {
			w.Header().Set("Link", fmt.Sprintf(`<%s/items?page=1>; rel="first", <%s/items?page=2>; rel="next last"`, s.URL, s.URL))
		}
		writeJSON(w, recs)
	})
	c := open(t, config(s.URL, "/items", nil), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2", "3", "4"}, ids(recs))
	require.Equal(t, []string{"", "page=2"}, s.queries())
}

func TestRead_AutoWithoutLinksReadsOnePage(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, items(1, 3)) })
	c := open(t, config(s.URL, "/items", nil), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Len(t, recs, 3)
	require.Len(t, s.requests(), 1)
}

func TestRead_HeaderLinkPaginator(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		page, recs := pageOf(r, 1, 3)
		if page < 3 {
			w.Header().Add("Link", fmt.Sprintf(`</items?page=%d>; rel=next`, page+1))
		}
		writeJSON(w, map[string]any{"items": recs})
	})
	c := open(t, config(s.URL, "/items", map[string]any{"paginator": map[string]any{"type": "header_link"}}), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2", "3"}, ids(recs))
}

func TestRead_SinglePageIgnoresLinks(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Link", `</items?page=2>; rel="next"`)
		writeJSON(w, map[string]any{"data": items(1, 2), "next": "/items?page=2"})
	})
	c := open(t, config(s.URL, "/items", map[string]any{"paginator": map[string]any{"type": "single_page"}}), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Len(t, s.requests(), 1)
}

// offsetServer serves total records with limit/offset (or other names) and a total field.
func offsetServer(t *testing.T, total int) *server {
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("size"))
		offset, _ := strconv.Atoi(q.Get("skip"))
		n := max(min(limit, total-offset), 0)
		writeJSON(w, map[string]any{"data": items(offset+1, n), "meta": map[string]any{"total": total}})
	})
}

func TestRead_OffsetPaginatorStopsAtTotal(t *testing.T) {
	t.Parallel()
	s := offsetServer(t, 5)
	c := open(t, config(s.URL, "/items", map[string]any{"paginator": map[string]any{"type": "offset", "limit": 2,
		"limit_param": "size", "offset_param": "skip", "total_path": "meta.total"}}), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2", "3", "4", "5"}, ids(recs))
	require.Equal(t, []string{"size=2&skip=0", "size=2&skip=2", "size=2&skip=4"}, s.queries())
}

func TestRead_OffsetPaginatorWithoutTotalStopsOnShortOrEmptyPage(t *testing.T) {
	t.Parallel()
	short := offsetServer(t, 5)
	pag := map[string]any{"type": "offset", "limit": 2, "limit_param": "size", "offset_param": "skip"}
	recs, _, err := readAll(t, open(t, config(short.URL, "/items", map[string]any{"paginator": pag}), openPolicy(t)), "items", State{})
	require.NoError(t, err)
	require.Len(t, recs, 5)
	require.Len(t, short.requests(), 3, "the short third page ends the read")

	exact := offsetServer(t, 4)
	recs, _, err = readAll(t, open(t, config(exact.URL, "/items", map[string]any{"paginator": pag}), openPolicy(t)), "items", State{})
	require.NoError(t, err)
	require.Len(t, recs, 4)
	require.Equal(t, []string{"size=2&skip=0", "size=2&skip=2", "size=2&skip=4"}, exact.queries(), "an empty page ends the read")
}

func TestRead_PageNumberPaginatorStopsOnEmptyPage(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		_, recs := pageOf(r, 2, 4)
		writeJSON(w, map[string]any{"data": recs})
	})
	c := open(t, config(s.URL, "/items", map[string]any{"paginator": map[string]any{"type": "page_number"}}), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2", "3", "4"}, ids(recs))
	require.Equal(t, []string{"page=1", "page=2", "page=3"}, s.queries())
}

func TestRead_PageNumberPaginatorStopsAtTotalPages(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		p, _ := strconv.Atoi(r.URL.Query().Get("p"))
		writeJSON(w, map[string]any{"data": items(p*10, 1), "total_pages": 3})
	})
	c := open(t, config(s.URL, "/items", map[string]any{"paginator": map[string]any{"type": "page_number",
		"page_param": "p", "start_page": 0, "total_path": "total_pages"}}), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, []string{"0", "10", "20"}, ids(recs))
	require.Equal(t, []string{"p=0", "p=1", "p=2"}, s.queries())
}

func TestRead_CursorPaginator(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("after") {
		case "":
			writeJSON(w, map[string]any{"data": items(1, 2), "meta": map[string]any{"next": "c2"}})
		case "c2":
			writeJSON(w, map[string]any{"data": items(3, 2), "meta": map[string]any{"next": 7}})
		case "7":
			writeJSON(w, map[string]any{"data": items(5, 1), "meta": map[string]any{"next": nil}})
		default:
			http.Error(w, "bad cursor", http.StatusBadRequest)
		}
	})
	c := open(t, config(s.URL, "/items?status=open", map[string]any{"paginator": map[string]any{"type": "cursor",
		"cursor_path": "meta.next", "cursor_param": "after"}}), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2", "3", "4", "5"}, ids(recs))
	require.Equal(t, []string{"status=open", "after=c2&status=open", "after=7&status=open"}, s.queries())
}

func TestRead_CursorThatDoesNotAdvanceFailsAfterYieldingThePage(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"data": items(1, 1), "cursor": "same"})
	})
	c := open(t, config(s.URL, "/items", map[string]any{"paginator": map[string]any{"type": "cursor", "cursor_path": "cursor"}}), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.ErrorContains(t, err, "does not advance")
	require.Len(t, recs, 2, "the records of both pages read are delivered")
	require.Len(t, s.requests(), 2)
}

func TestRead_NextLinkToAnotherHostIsRefused(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"data": items(1, 1), "next": "https://elsewhere.example/items?page=2"})
	})
	c := open(t, config(s.URL, "/items", map[string]any{"paginator": map[string]any{"type": "json_link"}}), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.ErrorContains(t, err, "leaves")
	require.Len(t, recs, 1)
	require.Len(t, s.requests(), 1)
}

func TestRead_MaxPagesBoundsAnEndlessAPI(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		writeJSON(w, map[string]any{"data": items(page, 1), "next": fmt.Sprintf("/items?page=%d", page+1)})
	})
	c := open(t, config(s.URL, "/items", map[string]any{"max_pages": 3}), openPolicy(t))
	recs, r, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Len(t, recs, 3)
	require.Equal(t, 3, r.Pages())
	require.True(t, r.LimitReached())
	require.Len(t, s.requests(), 3)
}

func TestRead_DataSelectorForms(t *testing.T) {
	t.Parallel()
	body := map[string]any{
		"data":    map[string]any{"items": items(1, 2), "one": map[string]any{"id": 9}, "none": nil, "n": 3},
		"results": items(5, 1),
		"tags":    []any{"a"},
	}
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/array":
			writeJSON(w, items(1, 3))
		case "/single":
			writeJSON(w, map[string]any{"things": items(1, 4), "count": 4})
		case "/ambiguous":
			writeJSON(w, map[string]any{"a": items(1, 1), "b": items(1, 1)})
		case "/object":
			writeJSON(w, map[string]any{"id": 1, "name": "me"})
		case "/ids":
			writeJSON(w, []any{"x", "y"})
		default:
			writeJSON(w, body)
		}
	})
	cases := []struct {
		path, selector string
		want           []string
		err            string
	}{
		{"/body", "data.items", []string{"1", "2"}, ""},
		{"/body", "$.data.items", []string{"1", "2"}, ""},
		{"/body", "data.one", []string{"9"}, ""},
		{"/body", "data.none", []string{}, ""},
		{"/body", "", []string{"5"}, ""}, // several arrays: the well-known name wins
		{"/body", "data.missing", nil, `data_selector "data.missing" matches nothing`},
		{"/body", "data.n", nil, "single value"},
		{"/array", "$", []string{"1", "2", "3"}, ""},
		{"/array", "", []string{"1", "2", "3"}, ""},
		{"/single", "", []string{"1", "2", "3", "4"}, ""},
		{"/ambiguous", "", nil, "several arrays (a, b)"},
		{"/object", "", []string{"1"}, ""},
	}
	for _, tc := range cases {
		res := map[string]any{"name": "items", "path": tc.path}
		if tc.selector != "" {
			res["data_selector"] = tc.selector
		}
		c := open(t, withResource(config(s.URL, "", nil), res), openPolicy(t))
		recs, _, err := readAll(t, c, "items", State{})
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, "%s %q", tc.path, tc.selector)
			continue
		}
		require.NoError(t, err, "%s %q", tc.path, tc.selector)
		require.Equal(t, tc.want, ids(recs), "%s %q", tc.path, tc.selector)
	}

	c := open(t, withResource(config(s.URL, "", nil), map[string]any{"name": "items", "path": "/ids"}), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, []map[string]any{{"value": "x"}, {"value": "y"}}, recs, "scalars become {value: …} records")
}

func TestRead_NumbersStayExact(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`[{"id": 12345678901234567890, "amount": 0.1000000000000000055511151231257827, "n": {"x": 1e400}}]`))
	})
	c := open(t, config(s.URL, "/items", nil), openPolicy(t))
	recs, _, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, json.Number("12345678901234567890"), recs[0]["id"])
	require.Equal(t, json.Number("0.1000000000000000055511151231257827"), recs[0]["amount"])
	require.Equal(t, map[string]any{"x": json.Number("1e400")}, recs[0]["n"])
}

func TestRead_ParamsAndIncrementalParamReachEveryPage(t *testing.T) {
	t.Parallel()
	s := offsetServer(t, 3)
	res := map[string]any{"name": "items", "path": "/items", "params": map[string]any{"status": "open", "size": 2, "flag": true},
		"incremental": map[string]any{"cursor_path": "id", "param": "since", "initial_value": "2024-01-01"}}
	cfg := withResource(config(s.URL, "", map[string]any{"paginator": map[string]any{"type": "offset", "limit": 2,
		"limit_param": "size", "offset_param": "skip"}}), res)
	c := open(t, cfg, openPolicy(t))
	_, r, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, []string{"flag=true&since=2024-01-01&size=2&skip=0&status=open",
		"flag=true&since=2024-01-01&size=2&skip=2&status=open"}, s.queries())
	mark, ok := r.Cursor()
	require.True(t, ok)
	require.Equal(t, json.Number("3"), mark)
}

func TestRead_IncrementalSendsTheStoredCursorAndReportsTheHighest(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"data": []any{
			map[string]any{"id": 1, "meta": map[string]any{"seq": 9}},
			map[string]any{"id": 2, "meta": map[string]any{"seq": 10}},
			map[string]any{"id": 3, "meta": map[string]any{"seq": nil}},
			map[string]any{"id": 4},
		}})
	})
	res := map[string]any{"name": "items", "path": "/items",
		"incremental": map[string]any{"cursor_path": "meta.seq", "param": "seq_gt", "initial_value": 0}}
	c := open(t, withResource(config(s.URL, "", nil), res), openPolicy(t))

	_, r, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	mark, ok := r.Cursor()
	require.True(t, ok)
	require.Equal(t, json.Number("10"), mark, "numbers compare as numbers: 10 > 9")

	_, r, err = readAll(t, c, "items", State{Cursor: json.Number("12")})
	require.NoError(t, err)
	mark, _ = r.Cursor()
	require.Equal(t, json.Number("12"), mark, "the mark never goes below where the read started")
	require.Equal(t, []string{"seq_gt=0", "seq_gt=12"}, s.queries())

	_, r, err = readAll(t, c, "items", State{Cursor: int64(5)})
	require.NoError(t, err)
	mark, _ = r.Cursor()
	require.Equal(t, json.Number("10"), mark)

	// A state store that keeps text gets the mark as text, and it still orders as a number.
	_, r, err = readAll(t, c, "items", State{Cursor: "9"})
	require.NoError(t, err)
	text, ok := r.CursorText()
	require.True(t, ok)
	require.Equal(t, "10", text, `"9" < 10 as numbers, though not as text`)
}

func TestRead_IncrementalTimestampsCompareAsInstants(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, []any{
			map[string]any{"updated_at": "2024-05-01T10:00:00+02:00"},
			map[string]any{"updated_at": "2024-05-01T09:30:00Z"}, // later than the first, though smaller as text
		})
	})
	res := map[string]any{"name": "items", "path": "/items", "incremental": map[string]any{"cursor_path": "updated_at", "param": "since"}}
	c := open(t, withResource(config(s.URL, "", nil), res), openPolicy(t))
	_, r, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Equal(t, []string{""}, s.queries(), "no initial value, no parameter")
	mark, ok := r.Cursor()
	require.True(t, ok)
	require.Equal(t, "2024-05-01T09:30:00Z", mark)
}

func TestRead_UnknownResourceAndNonJSON(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>hi</html>")) })
	c := open(t, config(s.URL, "/items", nil), openPolicy(t))
	_, err := c.Read(t.Context(), "nope", State{})
	require.ErrorContains(t, err, `no resource named "nope"`)
	_, _, err = readAll(t, c, "items", State{})
	require.ErrorContains(t, err, "not JSON")
	require.Len(t, s.requests(), 1, "a body that is not JSON is not retried")
}

func TestRead_PageLargerThanTheCapFails(t *testing.T) {
	t.Parallel()
	r := &capReader{r: &repeatReader{b: '['}, left: 10}
	buf := make([]byte, 64)
	n, err := r.Read(buf)
	require.NoError(t, err)
	require.Equal(t, 10, n)
	_, err = r.Read(buf)
	require.ErrorIs(t, err, errTooLarge)
}

type repeatReader struct{ b byte }

func (r *repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	return len(p), nil
}

func TestRead_NoContentIsAnEmptyPage(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	c := open(t, config(s.URL, "/items", nil), openPolicy(t))
	recs, r, err := readAll(t, c, "items", State{})
	require.NoError(t, err)
	require.Empty(t, recs)
	require.Equal(t, 1, r.Pages())
	_, ok := r.Cursor()
	require.False(t, ok, "not incremental")
}

func TestNextLink_ParsesLinkHeaders(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	require.Empty(t, nextLink(h))
	h.Add("Link", `<https://x/a?q=1,2>; rel="prev", <https://x/b?q=3,4>; title="a, b"; rel="next"`)
	require.Equal(t, "https://x/b?q=3,4", nextLink(h))
	h = http.Header{"Link": {`<https://x/only-last>; rel=last`, `</rel-next>; REL=Next`}}
	require.Equal(t, "/rel-next", nextLink(h))
	h = http.Header{"Link": {`no-brackets; rel=next`}}
	require.Empty(t, nextLink(h))
}

func TestCheckRedirect_RefusesDowngradeToPlainHTTP(t *testing.T) {
	t.Parallel()
	c, err := New(config("https://api.example.com", "/items", nil), connectors.Env{})
	require.NoError(t, err)
	s := c.newSession(t.Context())
	defer s.close()
	first, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://api.example.com/items", http.NoBody)
	require.NoError(t, err)
	next, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://api.example.com/items", http.NoBody)
	require.NoError(t, err)
	require.ErrorIs(t, s.checkRedirect(next, []*http.Request{first}), errRedirect)
	same, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://api.example.com/v2/items", http.NoBody)
	require.NoError(t, err)
	require.NoError(t, s.checkRedirect(same, []*http.Request{first}))
}
