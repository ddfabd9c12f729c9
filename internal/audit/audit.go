// Package audit owns the audit log: every mutation, sign-in and sign-out writes an entry (who,
// what, which resource, old and new values with secrets masked, from where) in the same
// transaction as the change, so an entry exists exactly when the change does.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
)

// Masked replaces secret values in entries.
const Masked = "********"

// Entry is one audit record. Actor and request metadata come from the context.
type Entry struct {
	OrgID        int64
	Action       string // "member.add", "api_key.create", "auth.login"…
	ResourceType string
	ResourceID   string
	Old, New     map[string]any
	// Actor overrides the principal of the context (sign-up and sign-in, before there is one).
	Actor *auth.Principal
}

type requestKey struct{}

// Request is where a request came from.
type Request struct {
	IP        string
	UserAgent string
}

// WithRequest stores the request's origin for the entries written while serving it.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// secretKeys are never written as values, whatever resource they belong to.
var secretKeys = []string{"password", "secret", "token", "key", "hash", "credential"}

// notSecret are names that contain one of secretKeys but name no secret: a pipeline's
// primary_key is a column list, and masking it would hide what a change did.
var notSecret = map[string]bool{"primary_key": true}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	if notSecret[k] {
		return false
	}
	for _, s := range secretKeys {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// mask copies m with secret values replaced, recursively.
func mask(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch {
		case isSecretKey(k):
			out[k] = Masked
		default:
			if inner, ok := v.(map[string]any); ok {
				out[k] = mask(inner)
			} else {
				out[k] = v
			}
		}
	}
	return out
}

// Write records e in tx.
func Write(ctx context.Context, tx pgx.Tx, e Entry) error {
	actor, ok := auth.PrincipalFrom(ctx)
	if e.Actor != nil {
		actor, ok = *e.Actor, true
	}
	params := dbgen.InsertAuditLogParams{
		OrgID:        e.OrgID,
		ActorType:    "system",
		Action:       e.Action,
		ResourceType: e.ResourceType,
	}
	if ok {
		params.ActorType = "user"
		id := actor.UserID
		if actor.IsAPIKey() {
			params.ActorType = "api_key"
			id = actor.APIKeyID
		}
		params.ActorID = &id
		params.ActorName = actor.Name
	}
	if e.ResourceID != "" {
		params.ResourceID = &e.ResourceID
	}
	var err error
	if params.OldValues, err = marshal(e.Old); err != nil {
		return err
	}
	if params.NewValues, err = marshal(e.New); err != nil {
		return err
	}
	if r, ok := ctx.Value(requestKey{}).(Request); ok {
		if r.IP != "" {
			params.Ip = &r.IP
		}
		if r.UserAgent != "" {
			ua := r.UserAgent
			if len(ua) > 500 {
				ua = ua[:500]
			}
			params.UserAgent = &ua
		}
	}
	if err := dbgen.New(tx).InsertAuditLog(ctx, params); err != nil {
		return fmt.Errorf("write audit entry %s: %w", e.Action, err)
	}
	return nil
}

func marshal(m map[string]any) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(mask(m))
	if err != nil {
		return nil, fmt.Errorf("encode audit values: %w", err)
	}
	return b, nil
}
