package mssql

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/testutil"
)

// fakeSQLServer speaks enough TDS to log a client in and answer what Query sends: session
// batches, SET SHOWPLAN_XML ON/OFF, the statement under showplan (answered with a plan whose
// StatementType the test chooses), transaction requests, and the statement itself (answered
// with rows 1, 2, 3 of an int column "n"). It records everything, so tests pin what is sent.
type fakeSQLServer struct {
	port     int
	planType string // StatementType reported for the user's statement
	mu       sync.Mutex
	log      []string
}

func newFakeSQLServer(t *testing.T, planType string) *fakeSQLServer {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	s := &fakeSQLServer{port: ln.Addr().(*net.TCPAddr).Port, planType: planType}
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

func (s *fakeSQLServer) record(entry string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, entry)
}

func (s *fakeSQLServer) sent() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.log, "\n") + "\n"
}

func done(status uint16, rows uint64) []byte {
	b := []byte{0xFD, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(b[1:3], status)
	return binary.LittleEndian.AppendUint64(b, rows)
}

func bVarChar(s string) []byte {
	u := ucs2(s)
	return append([]byte{byte(len(u) / 2)}, u...)
}

func (s *fakeSQLServer) serve(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if typ, _, err := readTDS(conn); err != nil || typ != 0x12 {
		return
	}
	if writeTDS(conn, 0x04, []byte{0x00, 0, 11, 0, 6, 0x01, 0, 17, 0, 1, 0xFF, 16, 0, 0, 0, 0, 0, 0x02}) != nil {
		return
	}
	if typ, _, err := readTDS(conn); err != nil || typ != 0x10 {
		return
	}
	var ack bytes.Buffer
	ack.WriteByte(1)
	ack.Write([]byte{0x74, 0, 0, 4})
	ack.Write(bVarChar("fake"))
	ack.Write([]byte{16, 0, 0, 0})
	login := []byte{0xAD, 0, 0}
	binary.LittleEndian.PutUint16(login[1:3], uint16(ack.Len())) //nolint:gosec // small
	login = append(append(login, ack.Bytes()...), done(0, 0)...)
	if writeTDS(conn, 0x04, login) != nil {
		return
	}
	showplan := false
	for {
		typ, payload, err := readTDS(conn)
		if err != nil {
			return
		}
		if typ == 0x06 { // attention: no payload
			s.record("attention")
			if writeTDS(conn, 0x04, done(0x20, 0)) != nil {
				return
			}
			continue
		}
		if len(payload) < 4 {
			return
		}
		headers := int(binary.LittleEndian.Uint32(payload[0:4]))
		var reply []byte
		switch typ {
		case 0x01: // SQL batch
			units := make([]uint16, (len(payload)-headers)/2)
			for i := range units {
				units[i] = binary.LittleEndian.Uint16(payload[headers+2*i:])
			}
			text := string(utf16.Decode(units))
			s.record("batch: " + text)
			switch {
			case text == showplanOnSQL:
				showplan, reply = true, done(0, 0)
			case text == showplanOffSQL:
				showplan, reply = false, done(0, 0)
			case showplan:
				reply = planResult(s.planType, text)
			case strings.HasPrefix(text, "SET "):
				reply = done(0, 0)
			case text == "SELECT slow":
				continue // no answer until the client's attention

			default:
				reply = intRows("n", 1, 2, 3)
			}
		case 0x0E: // transaction manager request
			switch binary.LittleEndian.Uint16(payload[headers:]) {
			case 5:
				s.record("transaction: begin")
				reply = append([]byte{0xE3, 11, 0, 8, 8, 1, 0, 0, 0, 0, 0, 0, 0, 0}, done(0, 0)...)
			case 8:
				s.record("transaction: rollback")
				reply = append([]byte{0xE3, 11, 0, 10, 0, 8, 1, 0, 0, 0, 0, 0, 0, 0}, done(0, 0)...)
			default:
				s.record(fmt.Sprintf("transaction: request %d", binary.LittleEndian.Uint16(payload[headers:])))
				reply = done(0x02, 0)
			}
		default:
			return
		}
		if writeTDS(conn, 0x04, reply) != nil {
			return
		}
	}
}

// planResult is one row of one nvarchar(4000) column holding a showplan document.
func planResult(statementType, text string) []byte {
	var x bytes.Buffer
	x.WriteString(`<ShowPlanXML xmlns="http://schemas.microsoft.com/sqlserver/2004/07/showplan"><BatchSequence><Batch><Statements>`)
	x.WriteString(`<StmtSimple StatementText="`)
	_ = xmlEscape(&x, text)
	x.WriteString(`" StatementId="1" StatementType="` + statementType + `"/></Statements></Batch></BatchSequence></ShowPlanXML>`)
	var b bytes.Buffer
	b.Write([]byte{0x81, 1, 0})                            // COLMETADATA, one column
	b.Write([]byte{0, 0, 0, 0, 0x01, 0})                   // user type, flags (nullable)
	b.Write([]byte{0xE7, 0x40, 0x1F, 9, 4, 0xD0, 0, 0x34}) // NVARCHAR(4000), collation
	b.Write(bVarChar("Microsoft SQL Server 2005 XML Showplan"))
	v := ucs2(x.String())
	b.WriteByte(0xD1)
	b.Write(binary.LittleEndian.AppendUint16(nil, uint16(len(v)))) //nolint:gosec // small
	b.Write(v)
	b.Write(done(0x10, 1))
	return b.Bytes()
}

func xmlEscape(w io.Writer, s string) error {
	_, err := io.WriteString(w, strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&quot;").Replace(s))
	return err
}

// intRows is a result of one int column.
func intRows(name string, vals ...int32) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x81, 1, 0, 0, 0, 0, 0, 0x01, 0, 0x26, 4})
	b.Write(bVarChar(name))
	for _, v := range vals {
		b.Write([]byte{0xD1, 4})
		b.Write(binary.LittleEndian.AppendUint32(nil, uint32(v))) //nolint:gosec // test values
	}
	b.Write(done(0x10, uint64(len(vals))))
	return b.Bytes()
}

func fakeConfig(s *fakeSQLServer) map[string]any {
	return map[string]any{"host": "127.0.0.1", "port": s.port, "database": "app", "user": "reader",
		"password": "Fake-Pa55", "encrypt": "false"}
}

// TestMSSQL_QuerySendsTheGoldenSequence pins every batch and transaction request Query sends,
// in order, and shows the rows capped with truncation flagged.
func TestMSSQL_QuerySendsTheGoldenSequence(t *testing.T) {
	t.Parallel()
	s := newFakeSQLServer(t, "SELECT")
	c := newConnector(t, fakeConfig(s), connectors.Env{})
	res, err := c.Query(context.Background(), "SELECT n FROM dbo.numbers", 2)
	require.NoError(t, err)
	require.Equal(t, []string{"n"}, res.Columns)
	require.Equal(t, [][]any{{int64(1)}, {int64(2)}}, res.Rows)
	require.True(t, res.Truncated)
	testutil.Golden(t, "testdata/query_sequence.golden", s.sent())
}

func TestMSSQL_QueryRefusesWhatTheServerSaysIsNotASelect(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"INSERT", "SELECT INTO", "EXECUTE PROC", "COMMIT TRANSACTION"} {
		s := newFakeSQLServer(t, typ)
		c := newConnector(t, fakeConfig(s), connectors.Env{})
		_, err := c.Query(context.Background(), "anything the server reports as "+typ, 10)
		require.ErrorContains(t, err, ErrNotAQuery.Error(), typ)
		require.ErrorContains(t, err, typ)
		require.NotContains(t, s.sent(), "transaction: begin", "%s never runs", typ)
		require.Equal(t, 1, strings.Count(s.sent(), "batch: anything the server reports as "+typ), "only described, never run")
	}
}

func TestMSSQL_QueryStopsAtTheStatementTimeoutWithAnAttention(t *testing.T) {
	t.Parallel()
	s := newFakeSQLServer(t, "SELECT")
	c := newConnector(t, fakeConfig(s), connectors.Env{})
	c.statementTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := c.Query(context.Background(), "SELECT slow", 10)
	require.ErrorContains(t, err, "statement timeout")
	require.Less(t, time.Since(start), 3*time.Second)
	require.Eventually(t, func() bool { return strings.Contains(s.sent(), "batch: SELECT slow\nattention\n") },
		2*time.Second, 10*time.Millisecond, "the driver asks the server to stop the statement: %s", s.sent())
}

func TestMSSQL_TestAnswersOKFromAServerThatLogsIn(t *testing.T) {
	t.Parallel()
	s := newFakeSQLServer(t, "SELECT")
	c := newConnector(t, fakeConfig(s), connectors.Env{})
	res := c.Test(context.Background())
	require.True(t, res.OK, res.Message)
	require.Contains(t, s.sent(), "batch: "+testSQL+"\n")
}
