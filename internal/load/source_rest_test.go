package load_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

// fakeAPI is a paginated REST API on 127.0.0.1: posts by offset pagination with an incremental
// "since" filter on updated_at, users by cursor pagination, and each post's comments
// (posts/<id>/comments) by Link header pagination. Every request must carry the bearer token.
type fakeAPI struct {
	*httptest.Server
	token string
	mu    sync.Mutex
	posts []map[string]any
	users []map[string]any
	comms map[int][]map[string]any
	log   []string // path?query of every request
	lang  string   // set: new comments get a lang field
}

const restPageSize = 2

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	a := &fakeAPI{token: "tok-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-Zq9", comms: map[int][]map[string]any{}}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	for i := 1; i <= 5; i++ {
		a.addPost(i, fmt.Sprintf("2024-01-0%dT10:00:00Z", i))
	}
	for i := 1; i <= 3; i++ {
		a.users = append(a.users, map[string]any{"id": i, "name": fmt.Sprintf("user %d", i), "profile": map[string]any{"age": 30 + i}})
	}
	return a
}

func (a *fakeAPI) addPost(id int, updated string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.posts = append(a.posts, map[string]any{"id": id, "title": fmt.Sprintf("Post %d", id), "updated_at": updated,
		"score": json.Number(fmt.Sprintf("%d.25", id)), "author": map[string]any{"name": fmt.Sprintf("a%d", id%2)},
		"tags": []any{"t" + strconv.Itoa(id), "common"}})
	for c := 1; c <= id%3+1; c++ { // 2, 3 or 1 comments: one page or two
		comment := map[string]any{"id": id*100 + c, "body": fmt.Sprintf("comment %d on %d", c, id)}
		if a.lang != "" {
			comment["lang"] = a.lang
		}
		a.comms[id] = append(a.comms[id], comment)
	}
}

func (a *fakeAPI) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.log)
}

func (a *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log = append(a.log, r.URL.Path+"?"+r.URL.RawQuery)
	if r.Header.Get("Authorization") != "Bearer "+a.token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error": "bad token"}`))
		return
	}
	q := r.URL.Query()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/api/posts":
		var sel []map[string]any
		for _, p := range a.posts {
			if s := q.Get("since"); s == "" || p["updated_at"].(string) >= s {
				sel = append(sel, p)
			}
		}
		off, _ := strconv.Atoi(q.Get("offset"))
		lim, _ := strconv.Atoi(q.Get("limit"))
		end := min(off+lim, len(sel))
		page := []map[string]any{}
		if off < len(sel) {
			page = sel[off:end]
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": page, "total": len(sel)})
	case r.URL.Path == "/api/users":
		start, _ := strconv.Atoi(q.Get("cursor"))
		end := min(start+restPageSize, len(a.users))
		body := map[string]any{"items": a.users[start:end], "next_cursor": nil}
		if end < len(a.users) {
			body["next_cursor"] = strconv.Itoa(end)
		}
		_ = json.NewEncoder(w).Encode(body)
	case strings.HasPrefix(r.URL.Path, "/api/posts/") && strings.HasSuffix(r.URL.Path, "/comments"):
		id, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/posts/"), "/comments"))
		if err != nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		page, _ := strconv.Atoi(q.Get("page"))
		page = max(page, 1)
		all := a.comms[id]
		first := (page - 1) * restPageSize
		end := min(first+restPageSize, len(all))
		if end < len(all) {
			w.Header().Set("Link", fmt.Sprintf(`<%s?page=%d>; rel="next"`, r.URL.Path, page+1))
		}
		_ = json.NewEncoder(w).Encode(all[first:end])
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// config is the rest_api connection over the fake API, as a user writes it (dlt's shape).
func (a *fakeAPI) config(postsNested string) map[string]any {
	return map[string]any{
		"base_url": a.URL + "/api",
		"auth":     map[string]any{"type": "bearer", "token": a.token},
		"retry":    map[string]any{"max_attempts": 1},
		"resources": []any{
			map[string]any{"name": "posts", "path": "posts", "data_selector": "data", "primary_key": "id", "nested": postsNested,
				"paginator":   map[string]any{"type": "offset", "limit": restPageSize, "total_path": "total"},
				"incremental": map[string]any{"cursor_path": "updated_at", "param": "since", "initial_value": "2024-01-02T00:00:00Z"}},
			map[string]any{"name": "users", "path": "users", "primary_key": "id",
				"paginator": map[string]any{"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"}},
			map[string]any{"name": "comments", "path": "posts/{resources.posts.id}/comments", "primary_key": "id",
				"include_from_parent": []any{"title"}, "paginator": map[string]any{"type": "header_link"}},
		},
	}
}

func (a *fakeAPI) endpoint(t *testing.T, postsNested string) load.Endpoint {
	t.Helper()
	p, err := egress.New(true, "")
	require.NoError(t, err)
	return load.Endpoint{Type: "rest_api", Config: a.config(postsNested), Env: connectors.Env{Dialer: p.Dialer(10 * time.Second)}}
}

func TestRun_RESTAPIIntoPostgresLoadsEveryResourceThenOnlyNewRecords(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	pg := dbtest.NewPG(t)
	spec := load.Spec{Pipeline: "rest", Source: api.endpoint(t, "tables"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"write_disposition": "merge", "merge_config": {"posts": {"primary_key": "id"}}}`)}
	res, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	// posts 2..5 (initial_value 2024-01-02 is inclusive), their tags, their comments, all users.
	require.Equal(t, int64(4), pg.Count(t, `SELECT count(*) FROM raw.posts`))
	require.Equal(t, int64(8), pg.Count(t, `SELECT count(*) FROM raw.posts__tags`))
	require.Equal(t, int64(3+1+2+3), pg.Count(t, `SELECT count(*) FROM raw.comments`))
	require.Equal(t, int64(3), pg.Count(t, `SELECT count(*) FROM raw.users`))
	names := map[string]int64{}
	for _, ts := range res.Tables {
		names[ts.Name] = ts.RowsWritten
	}
	require.Equal(t, map[string]int64{"posts": 4, "posts__tags": 8, "users": 3, "comments": 9}, names)

	// Types are inferred from the records; nested objects are flattened, arrays child tables.
	typ := func(table, col string) string {
		var s string
		require.NoError(t, pg.Conn.QueryRow(context.Background(), `SELECT format_type(atttypid, atttypmod) FROM pg_attribute
			WHERE attrelid = ('raw.' || $1)::regclass AND attname = $2`, table, col).Scan(&s), table+"."+col)
		return s
	}
	require.Equal(t, "bigint", typ("posts", "id"))
	require.Equal(t, "numeric", typ("posts", "score"))
	require.Equal(t, "timestamp with time zone", typ("posts", "updated_at"))
	require.Equal(t, "text", typ("posts", "author__name"))
	require.Equal(t, "jsonb", typ("users", "profile"))
	require.Equal(t, "text", typ("comments", "_posts_title"))
	require.Equal(t, int64(8), pg.Count(t, `SELECT count(*) FROM raw.posts__tags t JOIN raw.posts p ON p._dnk_id = t._dnk_parent_id`))
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw.posts__tags t JOIN raw.posts p ON p._dnk_id = t._dnk_parent_id
		WHERE p.id = 3 AND t.value = 't3' AND t._dnk_list_idx = 0`))
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw.comments WHERE id = 402 AND _posts_title = 'Post 4'`))
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw.posts WHERE id = 2 AND score = 2.25 AND author__name = 'a0'`))

	// The cursor is the destination's state, published with the rows.
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw._dnk_state WHERE pipeline = 'rest' AND table_name = 'posts'
		AND cursor_value = '2024-01-05T10:00:00Z'`))

	// A second run asks for what changed since the cursor and loads only the new posts.
	api.addPost(6, "2024-01-06T10:00:00Z")
	api.addPost(7, "2024-01-07T10:00:00Z")
	before := len(api.requests())
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	second := api.requests()[before:]
	require.Contains(t, second, "/api/posts?limit=2&offset=0&since=2024-01-05T10%3A00%3A00Z")
	require.NotContains(t, second, "/api/posts/3/comments?", "comments are read for the new posts only")
	names = map[string]int64{}
	for _, ts := range res.Tables {
		names[ts.Name] = ts.RowsWritten
	}
	// The API answers since inclusively: post 5 comes again and is left out.
	require.Equal(t, map[string]int64{"posts": 2, "posts__tags": 4, "users": 3, "comments": 1 + 2}, names)
	require.Equal(t, int64(6), pg.Count(t, `SELECT count(*) FROM raw.posts`))
	require.Equal(t, int64(12), pg.Count(t, `SELECT count(*) FROM raw.posts__tags`))
	require.Equal(t, int64(12), pg.Count(t, `SELECT count(*) FROM raw.comments`))
	require.Equal(t, int64(3), pg.Count(t, `SELECT count(*) FROM raw.users`))

	// A third run with nothing new succeeds, loads nothing new and keeps the cursor.
	res, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(6), pg.Count(t, `SELECT count(*) FROM raw.posts`))
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw._dnk_state WHERE table_name = 'posts' AND cursor_value = '2024-01-07T10:00:00Z'`))
	for _, ts := range res.Tables {
		require.NotEqual(t, "posts", ts.Name, "posts had no new records")
	}

	// A full refresh starts again from initial_value and replaces the tables.
	full := spec
	full.FullRefresh = true
	_, err = dbtest.RunLoad(t, full)
	require.NoError(t, err)
	require.Equal(t, int64(6), pg.Count(t, `SELECT count(*) FROM raw.posts`))
	require.Equal(t, int64(12), pg.Count(t, `SELECT count(*) FROM raw.posts__tags`))
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw._dnk_state WHERE table_name = 'posts' AND cursor_value = '2024-01-07T10:00:00Z'`))
}

func TestRun_RESTAPIIntoMariaDBAppendsOnlyNewRecords(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	my, myURL := dbtest.MySQLDB(t)
	dst, err := load.ParseURL(myURL)
	require.NoError(t, err)
	u, err := url.Parse(myURL)
	require.NoError(t, err)
	spec := load.Spec{Pipeline: "rest", Source: api.endpoint(t, "json"), Destination: dst, DestinationSchema: strings.TrimPrefix(u.Path, "/"),
		Config: dbtest.MustConfig(t, `{"table_names": ["posts", "comments"], "write_disposition": "append", "verify": "checksum"}`)}
	_, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	count := func(q string) int64 {
		var n int64
		require.NoError(t, my.QueryRowContext(context.Background(), q).Scan(&n), q)
		return n
	}
	require.Equal(t, int64(4), count("SELECT count(*) FROM posts"))
	require.Equal(t, int64(9), count("SELECT count(*) FROM comments"))
	var tags string
	require.NoError(t, my.QueryRowContext(context.Background(), "SELECT tags FROM posts WHERE id = 3").Scan(&tags))
	require.JSONEq(t, `["t3", "common"]`, tags)
	_, err = my.ExecContext(context.Background(), "SELECT 1 FROM users")
	require.Error(t, err, "users was not selected")

	api.addPost(6, "2024-01-06T10:00:00Z")
	_, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(5), count("SELECT count(*) FROM posts"), "append: the new post only, no duplicate")
	require.Equal(t, int64(1), count("SELECT count(*) FROM posts WHERE id = 6"))
	require.Equal(t, int64(9+1), count("SELECT count(*) FROM comments"))
}

func TestRun_RESTAPIFailuresLeaveTheDestinationAndHideTheToken(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	pg := dbtest.NewPG(t)
	cfg := dbtest.MustConfig(t, `{}`)

	// A wrong token: the run fails naming the resource, without the token, and loads nothing.
	ep := api.endpoint(t, "json")
	ep.Config["auth"] = map[string]any{"type": "bearer", "token": "wrong-Secret-7731"}
	_, err := dbtest.RunLoad(t, load.Spec{Source: ep, Destination: pg.Endpoint(t), Config: cfg})
	require.Error(t, err)
	require.Contains(t, err.Error(), "401")
	require.NotContains(t, err.Error(), "wrong-Secret-7731")
	require.Equal(t, int64(0), pg.Count(t, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'`))

	// The egress policy refuses the loopback API when private addresses are not allowed.
	strict, err := egress.New(false, "")
	require.NoError(t, err)
	ep = api.endpoint(t, "json")
	ep.Env = connectors.Env{Dialer: strict.Dialer(5 * time.Second)}
	_, err = dbtest.RunLoad(t, load.Spec{Source: ep, Destination: pg.Endpoint(t), Config: cfg})
	require.Error(t, err)
	require.NotContains(t, err.Error(), api.token)
	require.Equal(t, int64(0), pg.Count(t, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'`))

	// What only a SQL source can use is refused, naming the field.
	_, err = dbtest.RunLoad(t, load.Spec{Source: api.endpoint(t, "json"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "posts", "incremental": {"cursor_path": "updated_at"}}`)})
	require.ErrorContains(t, err, "config.incremental")
	// A filter on a field some resource's records do not have fails, as a missing column does.
	_, err = dbtest.RunLoad(t, load.Spec{Source: api.endpoint(t, "json"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"filters": [{"column": "updated_at", "op": "gt", "value": "2024-01-03T00:00:00Z"}]}`)})
	require.ErrorContains(t, err, `filter column "updated_at" is not a field of any record of resource users`)
	require.Equal(t, int64(0), pg.Count(t, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'`))

	// A next-page link to another host is refused: that host gets no request, so no token.
	var evilHits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { evilHits.Add(1) }))
	defer evil.Close()
	leaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"data": []any{map[string]any{"id": 1}}, "next": evil.URL + "/steal?page=2"})
	}))
	defer leaky.Close()
	ep = api.endpoint(t, "json")
	ep.Config["base_url"] = leaky.URL
	ep.Config["resources"] = []any{map[string]any{"name": "leak", "path": "/x", "data_selector": "data",
		"paginator": map[string]any{"type": "json_link", "next_url_path": "next"}}}
	_, err = dbtest.RunLoad(t, load.Spec{Source: ep, Destination: pg.Endpoint(t), Config: cfg})
	require.ErrorContains(t, err, "credentials go to the base URL's host only")
	require.NotContains(t, err.Error(), api.token)
	require.Zero(t, evilHits.Load())
	require.Equal(t, int64(0), pg.Count(t, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'`))

	// The catalog's schema may prefix a table, as the web app writes it.
	_, err = dbtest.RunLoad(t, load.Spec{Source: api.endpoint(t, "json"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"mode": "single_table", "table": "api.users", "source_schema": "api"}`)})
	require.NoError(t, err)
	require.Equal(t, int64(3), pg.Count(t, `SELECT count(*) FROM raw.users`))
	_, err = dbtest.RunLoad(t, load.Spec{Source: api.endpoint(t, "json"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"table_names": ["api.posts"]}`)})
	require.NoError(t, err)
	require.Equal(t, int64(4), pg.Count(t, `SELECT count(*) FROM raw.posts`))

	// Filters are applied in the stream (SPEC §6), to the records of every resource read.
	_, err = dbtest.RunLoad(t, load.Spec{Pipeline: "filtered", Source: api.endpoint(t, "tables"), Destination: pg.Endpoint(t),
		DestinationSchema: "filtered", Config: dbtest.MustConfig(t, `{"table_names": ["posts"], "filters": [
			{"column": "updated_at", "op": "gte", "value": "2024-01-03T10:00:00+00:00"},
			{"column": "author.name", "op": "in", "value": ["a1", "zz"]},
			{"column": "score", "op": "lt", "value": 5}]}`)})
	require.NoError(t, err)
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM filtered.posts`), "post 3 (a1, 2024-01-03, 3.25); post 4 is a0, post 5 scores 5.25")
	require.Equal(t, int64(3), pg.Count(t, `SELECT min(id) FROM filtered.posts`))
	require.Equal(t, int64(2), pg.Count(t, `SELECT count(*) FROM filtered.posts__tags`))

	// A table that is not a resource.
	_, err = dbtest.RunLoad(t, load.Spec{Source: api.endpoint(t, "json"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"table_names": ["nope"]}`)})
	require.ErrorIs(t, err, load.ErrNoTable)
}

func TestRun_RESTAPICursorMovesOnlyWhenEveryTableItFillsIsPublished(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	pg := dbtest.NewPG(t)
	spec := load.Spec{Pipeline: "rest", Source: api.endpoint(t, "json"), Destination: pg.Endpoint(t),
		Config: dbtest.MustConfig(t, `{"table_names": ["posts", "comments"], "write_disposition": "merge",
			"merge_config": {"posts": {"primary_key": "id"}}, "schema_contract": {"columns": "freeze"}}`)}
	_, err := dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	mark := func() string {
		var v string
		require.NoError(t, pg.Conn.QueryRow(context.Background(),
			`SELECT cursor_value FROM raw._dnk_state WHERE pipeline = 'rest' AND table_name = 'posts'`).Scan(&v))
		return v
	}
	require.Equal(t, "2024-01-05T10:00:00Z", mark())

	// New posts whose comments have a new field: posts publish, comments break the frozen
	// contract, and the cursor (published with comments, the last table posts' records fill)
	// stays where it was.
	api.lang = "en"
	api.addPost(6, "2024-01-06T10:00:00Z")
	_, err = dbtest.RunLoad(t, spec)
	require.ErrorIs(t, err, load.ErrContract)
	require.Equal(t, int64(5), pg.Count(t, `SELECT count(*) FROM raw.posts`))
	require.Equal(t, int64(9), pg.Count(t, `SELECT count(*) FROM raw.comments`))
	require.Equal(t, "2024-01-05T10:00:00Z", mark())

	// Once the contract lets the column in, the next run reads the same posts again: their
	// comments load, and merge keeps one row per post.
	spec.Config = dbtest.MustConfig(t, `{"table_names": ["posts", "comments"], "write_disposition": "merge",
		"merge_config": {"posts": {"primary_key": "id"}}}`)
	_, err = dbtest.RunLoad(t, spec)
	require.NoError(t, err)
	require.Equal(t, int64(5), pg.Count(t, `SELECT count(*) FROM raw.posts`))
	require.Equal(t, int64(9+1), pg.Count(t, `SELECT count(*) FROM raw.comments`))
	require.Equal(t, int64(1), pg.Count(t, `SELECT count(*) FROM raw.comments WHERE id = 601 AND lang = 'en'`))
	require.Equal(t, "2024-01-06T10:00:00Z", mark())
}
