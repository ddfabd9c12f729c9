package snowflake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Statement type ids of Snowflake's query responses (the driver keeps them to itself).
const (
	statementTypeSelect       = int64(0x1000)
	statementTypeDML          = int64(0x3000)
	statementTypeDDL          = int64(0x6000)
	statementTypeMultiStmt    = int64(0xA000)
	maxDescribeResponseLength = 64 << 20
)

// statementTypeTransport sends requests through base. For a request made under a context
// from withStatementType, it also reads the statement type id out of Snowflake's answer: the
// driver parses that id but does not expose it, and Query needs the server's word on what a
// statement is before running it.
type statementTypeTransport struct {
	base *http.Transport
}

type statementTypeKey struct{}

// statementTypeSlot receives the statement type id the server answered.
type statementTypeSlot struct {
	mu   sync.Mutex
	id   int64
	seen bool
}

func (s *statementTypeSlot) get() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id, s.seen
}

func withStatementType(ctx context.Context) (context.Context, *statementTypeSlot) {
	slot := &statementTypeSlot{}
	return context.WithValue(ctx, statementTypeKey{}, slot), slot
}

// RoundTrip implements http.RoundTripper.
func (t *statementTypeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	slot, _ := req.Context().Value(statementTypeKey{}).(*statementTypeSlot)
	// The answer to a query request, or to the poll of a query still being compiled.
	if slot == nil || !strings.HasPrefix(req.URL.Path, "/queries/") || resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDescribeResponseLength))
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read the query response: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var answer struct {
		Data struct {
			StatementTypeID int64 `json:"statementTypeId"`
		} `json:"data"`
		Success bool `json:"success"`
	}
	if json.Unmarshal(body, &answer) == nil && answer.Success && answer.Data.StatementTypeID != 0 {
		slot.mu.Lock()
		slot.id, slot.seen = answer.Data.StatementTypeID, true
		slot.mu.Unlock()
	}
	return resp, nil
}

// statementKind names a statement type id for messages.
func statementKind(id int64) string {
	switch {
	case id == statementTypeSelect:
		return "SELECT"
	case id&0xF000 == statementTypeDML:
		return "DML (a write)"
	case id&0xF000 == statementTypeDDL:
		return "DDL"
	case id&0xF000 == statementTypeMultiStmt:
		return "several statements"
	case id&0xF000 == 0x4000:
		return "a session command (ALTER SESSION, USE, SHOW, DESCRIBE…)"
	case id&0xF000 == 0x5000:
		return "a transaction command"
	default:
		return fmt.Sprintf("statement type 0x%X", id)
	}
}
