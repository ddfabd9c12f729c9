package restapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func TestDependent_PlaceholdersNameOneParent(t *testing.T) {
	t.Parallel()
	refs, err := refsOf("users/{resources.users.id}/orders/{resources.users.org.id}")
	require.NoError(t, err)
	require.Equal(t, []parentRef{{"users", "id"}, {"users", "org.id"}}, refs)
	for _, bad := range []string{"posts/{id}", "posts/{resources.posts}", "{resources..id}", "{other.posts.id}"} {
		_, err := refsOf(bad)
		require.Error(t, err, bad)
	}
	p, err := parentOf(&Resource{Path: "x/{resources.a.id}"})
	require.NoError(t, err)
	require.Equal(t, "a", p)
	_, err = parentOf(&Resource{Path: "x/{resources.a.id}", Params: map[string]json.RawMessage{"q": []byte(`"{resources.b.id}"`)}})
	require.ErrorContains(t, err, "at most one parent")
}

func TestDependent_ResolveEscapesPathSegmentsAndFillsParams(t *testing.T) {
	t.Parallel()
	r := &Resource{Name: "c", Path: "posts/{resources.posts.id}/comments",
		Params: map[string]json.RawMessage{"author": []byte(`"{resources.posts.author.name}"`), "n": []byte(`5`)}}
	got, err := resolve(r, map[string]any{"id": "a/b c", "author": map[string]any{"name": "O'Neil & co"}})
	require.NoError(t, err)
	require.Equal(t, "posts/a%2Fb%20c/comments", got.Path)
	require.JSONEq(t, `"O'Neil & co"`, string(got.Params["author"]))
	require.JSONEq(t, `5`, string(got.Params["n"]))
	require.Equal(t, "posts/{resources.posts.id}/comments", r.Path, "the configured resource is unchanged")

	_, err = resolve(r, map[string]any{"author": map[string]any{"name": "x"}})
	require.ErrorContains(t, err, `no value at "id"`)
	_, err = resolve(r, map[string]any{"id": map[string]any{"nested": 1}, "author": map[string]any{"name": "x"}})
	require.Error(t, err, "an object is not a path segment")
}

func TestDependent_ConfigsThatCannotRunAreRefusedOnOpen(t *testing.T) {
	t.Parallel()
	parent := map[string]any{"name": "posts", "path": "/posts"}
	for field, resources := range map[string][]any{
		"config.resources[1].path": {parent, map[string]any{"name": "c", "path": "posts/{resources.nope.id}/c"}},
		"config.resources[0].path": {map[string]any{"name": "c", "path": "posts/{resources.posts.id}/c"}, parent},
		"config.resources[1].incremental": {parent, map[string]any{"name": "c", "path": "posts/{resources.posts.id}/c",
			"incremental": map[string]any{"cursor_path": "t", "param": "since"}}},
		"config.resources[0].include_from_parent":   {map[string]any{"name": "p", "path": "/p", "include_from_parent": []any{"id"}}},
		"config.resources[1].name":                  {parent, map[string]any{"name": "posts__tags", "path": "/t"}},
		"config.resources[0].paginator.cursor_path": {map[string]any{"name": "p", "path": "/p", "paginator": map[string]any{"type": "cursor"}}},
	} {
		cfg := connectorstest.With(valid(), "resources", resources)
		_, err := connectorstest.Registry(t, Type()).Open("rest_api", cfg, connectors.Env{})
		require.Error(t, err, field)
		var aerr *apperr.Error
		if errors.As(err, &aerr) {
			require.Equal(t, field, aerr.Fields[0].Field)
		} else {
			require.ErrorContains(t, err, field) // the config schema's own message
		}
	}
}

func TestDependent_ReadChildAndPerResourcePaginators(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/posts":
			// page_number for posts, while the connection's paginator is single_page.
			page := r.URL.Query().Get("p")
			if page == "1" {
				writeJSON(w, []any{map[string]any{"id": "a/1"}, map[string]any{"id": 2}})
			} else {
				writeJSON(w, []any{})
			}
		case strings.HasPrefix(r.URL.Path, "/posts/"):
			if r.URL.Query().Get("cursor") == "" {
				writeJSON(w, map[string]any{"data": []any{map[string]any{"id": 1}}, "next": "c2"})
			} else {
				writeJSON(w, map[string]any{"data": []any{map[string]any{"id": 2}}, "next": nil})
			}
		}
	})
	cfg := config(s.URL, "", map[string]any{"paginator": map[string]any{"type": "single_page"}, "resources": []any{
		map[string]any{"name": "posts", "path": "/posts", "paginator": map[string]any{"type": "page_number", "page_param": "p"}},
		map[string]any{"name": "comments", "path": "posts/{resources.posts.id}/comments", "data_selector": "data",
			"params":    map[string]any{"tag": "t-{resources.posts.id}"},
			"paginator": map[string]any{"type": "cursor", "cursor_path": "next"}},
	}})
	c := open(t, cfg, openPolicy(t))
	require.Equal(t, "posts", c.Parent("comments"))
	require.Empty(t, c.Parent("posts"))
	posts, _, err := readAll(t, c, "posts", State{})
	require.NoError(t, err)
	require.Len(t, posts, 2)

	_, err = c.Read(t.Context(), "comments", State{})
	require.ErrorContains(t, err, "depends on posts")

	for _, p := range posts {
		recs, err := c.ReadChild(t.Context(), "comments", p, State{})
		require.NoError(t, err)
		n := 0
		for recs.Next() {
			n++
		}
		require.NoError(t, recs.Err())
		require.NoError(t, recs.Close())
		require.Equal(t, 2, n)
	}
	var got []string
	for _, r := range s.requests() {
		got = append(got, r.URL.EscapedPath()+"?"+r.URL.RawQuery)
	}
	require.Equal(t, []string{"/posts?p=1", "/posts?p=2",
		"/posts/a%2F1/comments?tag=t-a%2F1", "/posts/a%2F1/comments?cursor=c2&tag=t-a%2F1",
		"/posts/2/comments?tag=t-2", "/posts/2/comments?cursor=c2&tag=t-2"}, got)
}

func TestDependent_CatalogShowsAChildForItsParentsFirstRecord(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/posts":
			writeJSON(w, []any{map[string]any{"id": 7}})
		case "/posts/7/comments":
			writeJSON(w, []any{map[string]any{"id": 1, "body": "hi"}})
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = fmt.Fprint(w, "no")
		}
	})
	cfg := config(s.URL, "", map[string]any{"resources": []any{
		map[string]any{"name": "posts", "path": "/posts"},
		map[string]any{"name": "comments", "path": "posts/{resources.posts.id}/comments"},
	}})
	schemas, err := open(t, cfg, openPolicy(t)).Catalog(t.Context())
	require.NoError(t, err)
	cols := schemas[0].Tables[1].Columns
	require.Len(t, cols, 2)
	require.Equal(t, "body", cols[0].Name)
}
