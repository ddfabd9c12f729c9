package restapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/restapi"
)

// Read streams a resource's records page by page; the cursor's high-water mark is what the
// load engine stores for the next run.
func ExampleConnector_Read() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page := map[string]any{"data": []any{map[string]any{"id": 1, "seq": 41}}, "next": "/orders?page=2"}
		if r.URL.Query().Get("page") == "2" {
			page = map[string]any{"data": []any{map[string]any{"id": 2, "seq": 42}}, "next": nil}
		}
		_ = json.NewEncoder(w).Encode(page)
	}))
	defer api.Close()

	conn, err := restapi.New(map[string]any{
		"base_url": api.URL,
		"resources": []any{map[string]any{"name": "orders", "path": "/orders",
			"incremental": map[string]any{"cursor_path": "seq", "param": "seq_after"}}},
	}, connectors.Env{})
	if err != nil {
		panic(err)
	}
	recs, err := conn.Read(context.Background(), "orders", restapi.State{Cursor: "40"})
	if err != nil {
		panic(err)
	}
	defer func() { _ = recs.Close() }()
	for recs.Next() {
		fmt.Println(recs.Record()["id"])
	}
	if err := recs.Err(); err != nil {
		panic(err)
	}
	mark, _ := recs.CursorText()
	fmt.Println("pages:", recs.Pages(), "cursor:", mark)
	// Output:
	// 1
	// 2
	// pages: 2 cursor: 42
}
