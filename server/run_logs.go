// A run's logs: pages of lines and the live stream (server-sent events, resumable with
// Last-Event-ID).

package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/history"
)

func toAPIRunLogLine(l dbgen.RunLog) api.RunLogLine {
	fields := map[string]any{}
	if len(l.Fields) > 0 {
		_ = json.Unmarshal(l.Fields, &fields)
	}
	return api.RunLogLine{Seq: l.Seq, At: l.At.Time.UTC(), Level: api.RunLogLineLevel(l.Level), Message: l.Message, Fields: fields}
}

// GetRunLogs returns a run's log lines after a sequence number.
func (h *handlers) GetRunLogs(ctx context.Context, req api.GetRunLogsRequestObject) (api.GetRunLogsResponseObject, error) {
	var after int64
	if req.Params.After != nil {
		after = *req.Params.After
	}
	limit := int32(1000)
	if req.Params.Limit != nil {
		limit = int32(min(max(*req.Params.Limit, 1), 5000))
	}
	pg, err := h.history.Logs(ctx, principal(ctx), req.Id, after, limit)
	if err != nil {
		return nil, err
	}
	out := api.RunLogList{Items: make([]api.RunLogLine, 0, len(pg.Lines)), NextAfter: after, Done: pg.Done}
	for _, l := range pg.Lines {
		out.Items = append(out.Items, toAPIRunLogLine(l))
		out.NextAfter = l.Seq
	}
	return api.GetRunLogs200JSONResponse(out), nil
}

// The live stream polls the database rather than listening for notifications: a run's worker may
// be another process, polling needs no connection held per stream nor a notification hub, and
// one indexed query per open stream every pollEvery is cheap next to a run.
const (
	pollEvery      = 250 * time.Millisecond
	keepAliveEvery = 15 * time.Second
	streamBatch    = 500
)

// StreamRunLogs streams a run's log lines and status changes as Server-Sent Events until the run
// has ended and every line was sent (then an `end` event), the client goes away, or the server
// begins to shut down (Deps.Stopping).
//
// The generated strict response copies the body to the client and flushes after every read, so
// the events are written into a pipe by a goroutine and each reaches the client at once.
func (h *handlers) StreamRunLogs(ctx context.Context, req api.StreamRunLogsRequestObject) (api.StreamRunLogsResponseObject, error) {
	after, err := streamStart(req.Params)
	if err != nil {
		return nil, err
	}
	p := principal(ctx)
	// The first page is read before answering, so a missing run (or another org's) answers 404
	// rather than an empty stream.
	first, err := h.history.Logs(ctx, p, req.Id, after, streamBatch)
	if err != nil {
		return nil, err
	}
	var rc *http.ResponseController
	if c := echoContext(ctx); c != nil {
		hdr := c.Response().Header()
		hdr.Set(echo.HeaderCacheControl, "no-cache")
		hdr.Set("X-Accel-Buffering", "no") // nginx would otherwise buffer the stream
		rc = http.NewResponseController(c.Response())
		// The server's ReadTimeout would cancel the request's context mid-stream (its
		// background read times out); the client leaving is still seen, as the end of the
		// connection. Writes get a rolling deadline instead (see write).
		_ = rc.SetReadDeadline(time.Time{})
	}
	pr, pw := io.Pipe()
	s := &runStream{h: h, p: p, runID: req.Id, after: after, w: pw, rc: rc}
	go s.run(ctx, first)
	return api.StreamRunLogs200TexteventStreamResponse{Body: pr}, nil
}

// streamStart is the seq to resume after: Last-Event-ID (what a reconnecting EventSource sends)
// wins over ?after=.
func streamStart(prm api.StreamRunLogsParams) (int64, error) {
	if prm.LastEventID != nil && strings.TrimSpace(*prm.LastEventID) != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(*prm.LastEventID), 10, 64)
		if err != nil || n < 0 {
			return 0, apperr.Invalidf([]apperr.FieldError{{Field: "Last-Event-ID", Message: "must be the id of an event of this stream"}}, "The Last-Event-ID header is invalid.")
		}
		return n, nil
	}
	if prm.After != nil {
		return *prm.After, nil
	}
	return 0, nil
}

type runStream struct {
	h         *handlers
	p         auth.Principal
	runID     int64
	after     int64
	w         *io.PipeWriter
	rc        *http.ResponseController
	lastRun   []byte
	lastWrite time.Time
}

func (s *runStream) run(ctx context.Context, pg history.LogPage) {
	// Closing without an error ends the response normally, whichever way the stream stops.
	defer func() { _ = s.w.Close() }()
	ticker := time.NewTicker(pollEvery)
	defer ticker.Stop()
	for {
		if err := s.send(pg); err != nil {
			return // the client went away (the pipe was closed)
		}
		if pg.Done {
			_ = s.event("end", "", s.lastRun)
			return
		}
		// A full batch means more lines are waiting: read them at once.
		if len(pg.Lines) < streamBatch {
			select {
			case <-ctx.Done():
				return
			case <-s.h.stopping: // the server shuts down: the client reconnects elsewhere
				return
			case <-ticker.C:
			}
			if time.Since(s.lastWrite) >= keepAliveEvery {
				if err := s.write([]byte(": keep-alive\n\n")); err != nil {
					return
				}
			}
		}
		var err error
		pg, err = s.h.history.Logs(ctx, s.p, s.runID, s.after, streamBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.h.logger.ErrorContext(ctx, "run log stream: read", "run_id", s.runID, "org_id", s.p.OrgID, "error", err)
			}
			return // the client reconnects with Last-Event-ID
		}
	}
}

// send writes the lines, then the run when it changed (a worker writes its lines before the
// status they lead to); the first time, the run comes first, so that a client knows what it
// watches before the lines arrive.
func (s *runStream) send(pg history.LogPage) error {
	run, err := json.Marshal(toAPIRun(pg.Run))
	if err != nil {
		return err
	}
	changed := string(run) != string(s.lastRun)
	if changed && s.lastRun == nil {
		s.lastRun = run
		changed = false
		if err := s.event("status", "", run); err != nil {
			return err
		}
	}
	for _, l := range pg.Lines {
		data, err := json.Marshal(toAPIRunLogLine(l))
		if err != nil {
			return err
		}
		if err := s.event("log", strconv.FormatInt(l.Seq, 10), data); err != nil {
			return err
		}
		s.after = l.Seq
	}
	if changed {
		s.lastRun = run
		return s.event("status", "", run)
	}
	return nil
}

// event writes one event; JSON data has no newline, so it is always one data line.
func (s *runStream) event(name, id string, data []byte) error {
	var b strings.Builder
	b.WriteString("event: ")
	b.WriteString(name)
	b.WriteByte('\n')
	if id != "" {
		b.WriteString("id: ")
		b.WriteString(id)
		b.WriteByte('\n')
	}
	b.WriteString("data: ")
	b.Write(data)
	b.WriteString("\n\n")
	return s.write([]byte(b.String()))
}

// write hands bytes to the response (a pipe write returns once they were read and flushed). Each
// write extends the connection's write deadline, so a stream may outlive the server's
// WriteTimeout while a client that stopped reading is still dropped.
func (s *runStream) write(b []byte) error {
	if s.rc != nil {
		_ = s.rc.SetWriteDeadline(time.Now().Add(keepAliveEvery + time.Minute))
	}
	s.lastWrite = time.Now()
	_, err := s.w.Write(b)
	return err
}
