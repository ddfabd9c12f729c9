// Package idempotency owns the answers of POSTs sent with an Idempotency-Key (SPEC §3): a key is
// claimed per org before the request acts, its answer is stored when it completes, and a retry
// with the same key within Retention gets that answer back instead of acting twice. Stored
// bodies are sealed (they may hold a secret shown once, such as a new API key).
package idempotency

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/secrets"
)

// Retention is how long an answer is replayed; older entries are ignored, then deleted (see
// db/queries/idempotency.sql, which spells the same 24 hours).
const Retention = 24 * time.Hour

// MaxKeyLength bounds a key (the column's check).
const MaxKeyLength = 255

// Store keeps the entries in idempotency_keys.
type Store struct {
	db      database.DB
	keyring *secrets.Keyring
}

// New returns a store; keyring seals the stored bodies (nil stores them as they are, for tests
// of other packages only).
func New(db database.DB, keyring *secrets.Keyring) *Store {
	return &Store{db: db, keyring: keyring}
}

// Request identifies one use of a key: the same key with another method, path or body is
// another request, not a retry.
type Request struct {
	OrgID  int64
	Key    string
	Method string
	Path   string
	// Hash is a digest of everything else that makes the request what it is (query and body).
	Hash []byte
}

// Response is a stored answer.
type Response struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// Outcome is what Claim found.
type Outcome int

const (
	// Claimed means the key is new (or expired): the caller acts, then calls Complete or Release.
	Claimed Outcome = iota
	// Replay means the same request completed before: answer its Response.
	Replay
)

// Claim claims a key for a request about to act, or returns the answer of the request that
// used it first. It fails with Conflict while that request is still in progress and with
// Invalid when the key was used for another request.
func (s *Store) Claim(ctx context.Context, r Request) (Outcome, Response, error) {
	if r.Key == "" || len(r.Key) > MaxKeyLength || !printableASCII(r.Key) {
		return 0, Response{}, apperr.Invalidf([]apperr.FieldError{{Field: "Idempotency-Key", Message: fmt.Sprintf("must be 1 to %d printable ASCII characters", MaxKeyLength)}}, "The Idempotency-Key header is invalid.")
	}
	// An entry can disappear between the failed insert and the read (released after a server
	// error, or expired): then claim again.
	for range 3 {
		var (
			claimed bool
			entry   dbgen.IdempotencyKey
		)
		err := database.InTx(ctx, s.db, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
			q := dbgen.New(tx)
			if err := q.DeleteExpiredIdempotencyKeys(ctx, r.OrgID); err != nil {
				return err
			}
			// A concurrent claim of the same key waits here for the first one's commit, then
			// finds its row.
			_, err := q.ClaimIdempotencyKey(ctx, dbgen.ClaimIdempotencyKeyParams{OrgID: r.OrgID, Key: r.Key, Method: r.Method, Path: r.Path, RequestHash: r.Hash})
			if err == nil {
				claimed = true
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			entry, err = q.GetIdempotencyKey(ctx, dbgen.GetIdempotencyKeyParams{OrgID: r.OrgID, Key: r.Key})
			return err
		})
		switch {
		case claimed:
			return Claimed, Response{}, nil
		case errors.Is(err, pgx.ErrNoRows):
			continue
		case err != nil:
			return 0, Response{}, fmt.Errorf("claim idempotency key: %w", err)
		}
		if entry.Method != r.Method || entry.Path != r.Path || !bytes.Equal(entry.RequestHash, r.Hash) {
			return 0, Response{}, apperr.Invalidf([]apperr.FieldError{{Field: "Idempotency-Key", Message: "was used for another request"}},
				"This Idempotency-Key was already used for another request in the last 24 hours; use a new key for a new request.")
		}
		if !entry.CompletedAt.Valid || entry.Status == nil {
			return 0, Response{}, apperr.Conflictf("A request with this Idempotency-Key is in progress; retry when it has completed.")
		}
		resp, err := s.decode(r.OrgID, entry)
		return Replay, resp, err
	}
	return 0, Response{}, apperr.Conflictf("A request with this Idempotency-Key is in progress; retry when it has completed.")
}

func sealContext(orgID int64) []byte {
	return []byte("org:" + strconv.FormatInt(orgID, 10) + "/idempotency")
}

func (s *Store) decode(orgID int64, e dbgen.IdempotencyKey) (Response, error) {
	resp := Response{Status: int(*e.Status), Body: e.ResponseBody}
	if len(e.ResponseHeaders) > 0 {
		if err := json.Unmarshal(e.ResponseHeaders, &resp.Headers); err != nil {
			return Response{}, fmt.Errorf("decode stored headers: %w", err)
		}
	}
	if s.keyring != nil && len(resp.Body) > 0 {
		plain, err := s.keyring.Open(resp.Body, sealContext(orgID))
		if err != nil {
			// Sealed with a key rotated out since: the answer is lost, and acting again could
			// do twice what the first request did.
			return Response{}, apperr.Conflictf("The answer stored for this Idempotency-Key can no longer be read; use a new key.").WithCause(err)
		}
		resp.Body = plain
	}
	return resp, nil
}

// Complete stores the answer of a claimed request.
func (s *Store) Complete(ctx context.Context, r Request, resp Response) error {
	headers, err := json.Marshal(resp.Headers)
	if err != nil {
		return err
	}
	body := resp.Body
	if s.keyring != nil && len(body) > 0 {
		if body, err = s.keyring.Seal(body, sealContext(r.OrgID)); err != nil {
			return fmt.Errorf("seal the stored answer: %w", err)
		}
	}
	if resp.Status < 100 || resp.Status > 599 {
		return fmt.Errorf("store an answer of status %d", resp.Status)
	}
	status := int32(resp.Status) //nolint:gosec // bounded just above
	return database.InTx(ctx, s.db, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
		return dbgen.New(tx).CompleteIdempotencyKey(ctx, dbgen.CompleteIdempotencyKeyParams{
			OrgID: r.OrgID, Key: r.Key, Status: &status, ResponseHeaders: headers, ResponseBody: body,
		})
	})
}

// Release forgets a claimed request that did not complete, so that a retry acts.
func (s *Store) Release(ctx context.Context, r Request) error {
	return database.InTx(ctx, s.db, database.Scope{OrgID: r.OrgID}, func(tx pgx.Tx) error {
		return dbgen.New(tx).ReleaseIdempotencyKey(ctx, dbgen.ReleaseIdempotencyKeyParams{OrgID: r.OrgID, Key: r.Key})
	})
}

// printableASCII tells whether s is made of printable ASCII only, as the Idempotency-Key draft
// standard has it (a structured-field string). HTTP lets other bytes through in header values;
// a NUL or a byte that is not UTF-8 would fail in the text column.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
