package clickhouse

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	chproto "github.com/ClickHouse/ch-go/proto"
	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/testutil"
)

// httpServer answers ClickHouse's HTTP interface the way a server would for two statements:
// the driver's hello, and any other statement with rows 1, 2, 3 of a UInt8 column "n". It
// records every request, so tests can pin what is sent.
type httpServer struct {
	port     int
	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	params url.Values
	body   string
}

func newHTTPServer(t *testing.T) *httpServer {
	t.Helper()
	s := &httpServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.requests = append(s.requests, recorded{params: r.URL.Query(), body: string(body)})
		s.mu.Unlock()
		block := proto.NewBlock()
		if strings.Contains(string(body), "displayName()") {
			for _, c := range []struct{ name, typ string }{{"displayName()", "String"}, {"version()", "String"},
				{"revision()", "UInt32"}, {"timezone()", "String"}} {
				_ = block.AddColumn(c.name, column.Type(c.typ))
			}
			_ = block.Append("fake", "24.8.1.1", uint32(54460), "UTC")
		} else {
			_ = block.AddColumn("n", "UInt8")
			for i := uint8(1); i <= 3; i++ {
				_ = block.Append(i)
			}
		}
		var buf chproto.Buffer
		if err := block.Encode(&buf, ch.ClientTCPProtocolVersion); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(buf.Buf)
	}))
	t.Cleanup(srv.Close)
	s.port = srv.Listener.Addr().(*net.TCPAddr).Port
	return s
}

func (s *httpServer) last() recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[len(s.requests)-1]
}

// describe renders a request without what changes from run to run.
func (r recorded) describe() string {
	keys := make([]string, 0, len(r.params))
	for k := range r.params {
		if k == "query_id" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "param %s=%s\n", k, strings.Join(r.params[k], ","))
	}
	fmt.Fprintf(&b, "body %s\n", r.body)
	return b.String()
}

// TestClickHouse_HTTPSendsTheGoldenRequestsAndCapsRows runs Test and Query over HTTP against
// a recording server: the requests are pinned, and a fourth row is never returned.
func TestClickHouse_HTTPSendsTheGoldenRequestsAndCapsRows(t *testing.T) {
	t.Parallel()
	srv := newHTTPServer(t)
	conf := map[string]any{"host": "127.0.0.1", "port": srv.port, "protocol": "http", "secure": false,
		"database": "sales", "user": "reader", "password": "Http-Pa55"}
	c := newConnector(t, conf, connectors.Env{})

	var b strings.Builder
	res := c.Test(context.Background())
	require.True(t, res.OK, res.Message)
	fmt.Fprintf(&b, "## Test\n%s\n", srv.last().describe())

	out, err := c.Query(context.Background(), "SELECT n FROM numbers_table", 2)
	require.NoError(t, err)
	require.Equal(t, []string{"n"}, out.Columns)
	require.Equal(t, [][]any{{uint8(1)}, {uint8(2)}}, out.Rows)
	require.True(t, out.Truncated)
	fmt.Fprintf(&b, "## Query with limit 2\n%s", srv.last().describe())

	out, err = c.Query(context.Background(), "SELECT n FROM numbers_table", 3)
	require.NoError(t, err)
	require.Len(t, out.Rows, 3)
	require.False(t, out.Truncated, "exactly the limit is not truncated")

	got := b.String()
	require.NotContains(t, got, "Http-Pa55")
	testutil.Golden(t, "testdata/http_requests.golden", got)
}
