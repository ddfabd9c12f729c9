package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
)

// restToken is the rest_api connection's bearer token in these tests: never in a log or stats.
const restToken = "Rest-t0ken-Kq83-secret"

// ordersAPI serves /orders by page number (2 a page, "since" filters on updated), and
// /orders/<id>/lines, behind a bearer token.
type ordersAPI struct {
	*httptest.Server
	mu     sync.Mutex
	orders []map[string]any
}

func newOrdersAPI(t *testing.T, n int) *ordersAPI {
	a := &ordersAPI{}
	for i := 1; i <= n; i++ {
		a.add(i)
	}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+restToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/orders" {
			var id int
			if _, err := fmt.Sscanf(r.URL.Path, "/orders/%d/lines", &id); err != nil {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			_ = json.NewEncoder(w).Encode([]any{map[string]any{"sku": "A" + strconv.Itoa(id), "qty": id}})
			return
		}
		since, _ := strconv.Atoi(r.URL.Query().Get("since"))
		var sel []map[string]any
		for _, o := range a.orders {
			if o["updated"].(int) >= since {
				sel = append(sel, o)
			}
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		first := min((max(page, 1)-1)*2, len(sel))
		_ = json.NewEncoder(w).Encode(map[string]any{"orders": sel[first:min(first+2, len(sel))]})
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *ordersAPI) add(id int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.orders = append(a.orders, map[string]any{"id": id, "updated": 100 + id, "amount": fmt.Sprintf("%d.50", id),
		"customer": map[string]any{"name": "c" + strconv.Itoa(id)}})
}

func TestRuns_RESTAPIPipelineLoadsItsResourcesThenOnlyNewRecords(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	orders := newOrdersAPI(t, 5)
	conn := decode[api.Connection](t, e.call(t, http.MethodPost, "/api/v1/connections", e.f.owner.AccessToken,
		map[string]any{"name": "shop api", "type": "rest_api", "config": map[string]any{
			"base_url":  orders.URL,
			"auth":      map[string]any{"type": "bearer", "token": restToken},
			"paginator": map[string]any{"type": "page_number"},
			"resources": []any{
				map[string]any{"name": "orders", "path": "/orders", "primary_key": "id",
					"incremental": map[string]any{"cursor_path": "updated", "param": "since", "initial_value": 0}},
				map[string]any{"name": "order_lines", "path": "orders/{resources.orders.id}/lines", "nested": "tables",
					"include_from_parent": []any{"id"}, "paginator": map[string]any{"type": "single_page"}},
			},
		}}), http.StatusCreated)

	// The pipeline is accepted (it was refused with 422 before REST sources loaded).
	pl := decode[api.Pipeline](t, e.call(t, http.MethodPost, "/api/v1/pipelines", e.f.editor.AccessToken, map[string]any{
		"name": "shop", "source_connection_id": conn.Id, "destination_connection_id": e.dstConn.Id,
		"destination_schema": "raw", "config": map[string]any{"write_disposition": "append"}}), http.StatusCreated)

	first := e.trigger(t, pl.Id, nil)
	r := e.waitFor(t, first.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "error: %v", r.errMsg)
	require.Equal(t, int64(5+5), r.rowsLoaded)
	require.Equal(t, int64(5), e.count(t, e.dst, "SELECT count(*) FROM raw.orders"))
	require.Equal(t, int64(1), e.count(t, e.dst, "SELECT count(*) FROM raw.orders WHERE id = 3 AND amount = '3.50' AND customer = '{\"name\": \"c3\"}'"))
	require.Equal(t, int64(5), e.count(t, e.dst, "SELECT count(*) FROM raw.order_lines l JOIN raw.orders o ON o.id = l._orders_id AND l.qty = o.id"))
	var mark string
	require.NoError(t, e.owner.QueryRow(context.Background(), "SELECT cursor_value FROM pipeline_state WHERE pipeline_id = $1 AND table_name = 'orders'", pl.Id).Scan(&mark))
	require.Equal(t, "105", mark)

	orders.add(6)
	second := e.trigger(t, pl.Id, nil)
	r = e.waitFor(t, second.Id, 30*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "success", r.status, "error: %v", r.errMsg)
	require.Equal(t, int64(1+1), r.rowsLoaded, "only the new order and its line")
	require.Equal(t, int64(6), e.count(t, e.dst, "SELECT count(*) FROM raw.orders"))
	require.Equal(t, int64(6), e.count(t, e.dst, "SELECT count(*) FROM raw.order_lines"))
	require.NoError(t, e.owner.QueryRow(context.Background(), "SELECT cursor_value FROM pipeline_state WHERE pipeline_id = $1 AND table_name = 'orders'", pl.Id).Scan(&mark))
	require.Equal(t, "106", mark)

	// The token is in no log line, stats or error of either run.
	for _, id := range []int64{first.Id, second.Id} {
		lines, all := e.logMessages(t, id)
		require.True(t, hasPrefixIn(lines, "info resource read"), "no line for the pages read in %v", lines)
		require.NotContains(t, all, restToken)
		var stats, errText string
		require.NoError(t, e.owner.QueryRow(context.Background(), "SELECT stats::text, coalesce(error, '') FROM runs WHERE id = $1", id).Scan(&stats, &errText))
		require.NotContains(t, stats+errText, restToken)
	}

	// A run that the API refuses fails with the reason, without the token, and keeps the state.
	orders.Close()
	third := e.trigger(t, pl.Id, nil)
	r = e.waitFor(t, third.Id, 60*time.Second, "success", "failed", "cancelled")
	require.Equal(t, "failed", r.status)
	require.NotNil(t, r.errMsg)
	require.NotContains(t, *r.errMsg, restToken)
	require.NoError(t, e.owner.QueryRow(context.Background(), "SELECT cursor_value FROM pipeline_state WHERE pipeline_id = $1 AND table_name = 'orders'", pl.Id).Scan(&mark))
	require.Equal(t, "106", mark)
}
