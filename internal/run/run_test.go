package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/load"
)

func TestLogHandler_FieldsNestByGroupAndSecretsAreScrubbed(t *testing.T) {
	t.Parallel()
	sink := &logSink{scrub: newScrubber("pa ss/word")}
	log := slog.New(&logHandler{sink: sink}).With("run_id", 7).WithGroup("table").With("name", "orders")
	log.Info("connect to postgres://u:pa ss/word@h/db failed", "rows", 3, "err", errors.New("auth pa%20ss%2Fword"),
		slog.Group("cfg", "dsn", "x:pa ss/word"))

	require.Len(t, sink.pending, 1)
	l := sink.pending[0]
	require.Equal(t, "info", l.level)
	require.Equal(t, "connect to postgres://u:********@h/db failed", l.message)
	var fields map[string]any
	require.NoError(t, json.Unmarshal(l.fields, &fields))
	require.Equal(t, map[string]any{
		"run_id": float64(7),
		"table": map[string]any{
			"name": "orders", "rows": float64(3), "err": "auth ********",
			"cfg": map[string]any{"dsn": "x:********"},
		},
	}, fields)
	require.NotContains(t, string(l.fields), "word")
}

// A short password (below connectors.ScrubMinLen) neither garbles run logs nor shows in them:
// a line or field that shows it as a token is withheld, one that only holds its characters
// inside longer words is kept.
func TestLogHandler_ShortSecretsAreWithheldNotGarbled(t *testing.T) {
	t.Parallel()
	const withheld = "the message was withheld because it may contain a secret"
	cases := []struct {
		name, msg, err string
		wantMsg        string
		wantErr        string
	}{
		{"hex and ports are left alone", "copied 0x7f000001 at :5432", "lsn 16B30748",
			"copied 0x7f000001 at :5432", "lsn 16B30748"},
		{"a line showing the password is withheld", "connect to postgres://u:0@h/db failed", "password 0 rejected",
			withheld, withheld},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sink := &logSink{scrub: newScrubber("0")}
			slog.New(&logHandler{sink: sink}).Info(tc.msg, "err", errors.New(tc.err))
			require.Len(t, sink.pending, 1)
			require.Equal(t, tc.wantMsg, sink.pending[0].message)
			var fields map[string]any
			require.NoError(t, json.Unmarshal(sink.pending[0].fields, &fields))
			require.Equal(t, tc.wantErr, fields["err"])
			require.Equal(t, tc.wantErr, oneLine(errors.New(tc.err), newScrubber("0")))
		})
	}
}

func TestInfrastructure_OnlyFaultsOfTheNetworkOrServersAreRetried(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err   error
		retry bool
	}{
		{fmt.Errorf("load orders: %w", load.ErrContract), false},
		{fmt.Errorf("load orders: %w", load.ErrVerify), false},
		{fmt.Errorf("list: %w", load.ErrNoTable), false},
		{&pgconn.PgError{Code: "42601"}, false}, // bad SQL
		{&pgconn.PgError{Code: "42P01"}, false}, // missing table
		{errors.New("config.incremental.cursor_path: column \"x\" is not a column"), false},
		{&pgconn.PgError{Code: "57P01"}, true}, // server shutting down
		{&pgconn.PgError{Code: "08006"}, true}, // connection failure
		{fmt.Errorf("read: %w", &net.OpError{Op: "read", Err: errors.New("connection reset")}), true},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{fmt.Errorf("x: %w", errTimedOut), false},
		// The metadata database's copy of a cursor could not be read (pgx says "conn closed").
		{fmt.Errorf("read the incremental state of t: %w: %w", errMetadata, errors.New("conn closed")), true},
	}
	for _, c := range cases {
		require.Equal(t, c.retry, infrastructure(c.err), "%v", c.err)
	}
}

func TestOneLine_JoinsLinesScrubsAndBounds(t *testing.T) {
	t.Parallel()
	msg := oneLine(errors.New("first line\n  second\tline with s3cret"), newScrubber("s3cret"))
	require.Equal(t, "first line second line with ********", msg)
	long := oneLine(errors.New(string(make([]byte, 5000))), nil)
	require.LessOrEqual(t, len(long), 1004)
}

func TestJobCancelAsked_ACancelRecordedOnARunningJobOrACancelledJobCounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		state    rivertype.JobState
		metadata string
		asked    bool
	}{
		{rivertype.JobStateRunning, `{}`, false},
		{rivertype.JobStateRunning, `{"cancel_attempted_at": "2026-01-02T03:04:05Z"}`, true},
		{rivertype.JobStateRetryable, `{"cancel_attempted_at": "2026-01-02T03:04:05Z"}`, true},
		{rivertype.JobStateCancelled, `{}`, true},
		{rivertype.JobStateAvailable, ``, false},
	}
	for _, c := range cases {
		require.Equal(t, c.asked, jobCancelAsked(&rivertype.JobRow{State: c.state, Metadata: []byte(c.metadata)}), "%s %s", c.state, c.metadata)
	}
}
