package clickhouse

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/testutil"
)

// nativeServer speaks enough of the native protocol to greet a client, read its queries and
// answer each with rows 1, 2, 3 of a UInt8 column "n". It records the text and settings of
// every query, so tests pin what is sent over the native protocol.
type nativeServer struct {
	port    int
	mu      sync.Mutex
	queries []chproto.Query
}

const nativeRevision = 54460

func newNativeServer(t *testing.T) *nativeServer {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	s := &nativeServer{port: ln.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *nativeServer) serve(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := chproto.NewReader(conn)
	if code, err := r.UVarInt(); err != nil || chproto.ClientCode(code) != chproto.ClientCodeHello {
		return
	}
	var hello chproto.ClientHello
	if hello.Decode(r) != nil {
		return
	}
	var b chproto.Buffer
	(&chproto.ServerHello{Name: "ClickHouse", Major: 24, Minor: 8, Revision: nativeRevision, Timezone: "UTC",
		DisplayName: "fake", Patch: 1}).EncodeAware(&b, nativeRevision)
	if _, err := conn.Write(b.Buf); err != nil {
		return
	}
	if _, err := r.Str(); err != nil { // addendum: quota key
		return
	}
	for {
		code, err := r.UVarInt()
		if err != nil {
			return
		}
		switch chproto.ClientCode(code) {
		case chproto.ClientCodePing:
			b.Reset()
			chproto.ServerCodePong.Encode(&b)
			if _, err := conn.Write(b.Buf); err != nil {
				return
			}
			continue
		case chproto.ClientCodeQuery:
		default:
			return
		}
		var q chproto.Query
		if q.DecodeAware(r, nativeRevision) != nil {
			return
		}
		// The empty block that ends the external tables.
		if code, err := r.UVarInt(); err != nil || chproto.ClientCode(code) != chproto.ClientCodeData {
			return
		}
		var data chproto.ClientData
		if data.DecodeAware(r, nativeRevision) != nil {
			return
		}
		var empty chproto.Block
		if empty.DecodeBlock(r, nativeRevision, nil) != nil {
			return
		}
		s.mu.Lock()
		s.queries = append(s.queries, q)
		s.mu.Unlock()

		block := proto.NewBlock()
		_ = block.AddColumn("n", "UInt8")
		for i := uint8(1); i <= 3; i++ {
			_ = block.Append(i)
		}
		b.Reset()
		chproto.ServerCodeData.Encode(&b)
		b.PutString("")
		if err := block.Encode(&b, nativeRevision); err != nil {
			return
		}
		chproto.ServerCodeEndOfStream.Encode(&b)
		if _, err := conn.Write(b.Buf); err != nil {
			return
		}
	}
}

func (s *nativeServer) describe() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, q := range s.queries {
		settings := make([]string, 0, len(q.Settings))
		for _, st := range q.Settings {
			settings = append(settings, st.Key+"="+st.Value)
		}
		sort.Strings(settings)
		fmt.Fprintf(&b, "query: %s\nsettings: %s\n\n", q.Body, strings.Join(settings, " "))
	}
	return b.String()
}

// TestClickHouse_NativeSendsTheGoldenQueriesAndCapsRows runs Test and Query over the native
// protocol against a recording server: text and settings of each query are pinned.
func TestClickHouse_NativeSendsTheGoldenQueriesAndCapsRows(t *testing.T) {
	t.Parallel()
	srv := newNativeServer(t)
	conf := map[string]any{"host": "127.0.0.1", "port": srv.port, "secure": false, "database": "sales",
		"user": "reader", "password": "Native-Pa55"}
	c := newConnector(t, conf, connectors.Env{})
	res := c.Test(context.Background())
	require.True(t, res.OK, res.Message)
	out, err := c.Query(context.Background(), "SELECT n FROM numbers_table", 2)
	require.NoError(t, err)
	require.Equal(t, [][]any{{uint8(1)}, {uint8(2)}}, out.Rows)
	require.True(t, out.Truncated)
	got := srv.describe()
	require.NotContains(t, got, "Native-Pa55")
	testutil.Golden(t, "testdata/native_queries.golden", got)
}
