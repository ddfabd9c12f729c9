package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/load"
)

// Status values of a pipeline. Paused pipelines are not scheduled; error is set by the platform
// (when runs keep failing), never chosen by people.
const (
	StatusDraft  = "draft"
	StatusActive = "active"
	StatusPaused = "paused"
	StatusError  = "error"
)

// DefaultStatus is the status of a pipeline created without one: its config is valid (a
// pipeline is never stored otherwise), so it is ready to run and be scheduled.
const DefaultStatus = StatusActive

// maxSchemaBytes is PostgreSQL's identifier limit (NAMEDATALEN - 1, in bytes); MySQL allows 64
// characters, so a name that fits PostgreSQL fits both.
const maxSchemaBytes = 63

func checkName(raw string) (string, *apperr.FieldError) {
	name := strings.TrimSpace(raw)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", &apperr.FieldError{Field: "name", Message: "must be 1 to 100 characters"}
	}
	return name, nil
}

func checkDescription(d string) *apperr.FieldError {
	if utf8.RuneCountInString(d) > 2000 {
		return &apperr.FieldError{Field: "description", Message: "must be at most 2000 characters"}
	}
	return nil
}

// checkStatus accepts what people may choose; error belongs to the platform.
func checkStatus(s string) *apperr.FieldError {
	switch s {
	case StatusDraft, StatusActive, StatusPaused:
		return nil
	case StatusError:
		return &apperr.FieldError{Field: "status", Message: "error is set by the platform when runs fail; choose draft, active or paused"}
	default:
		return &apperr.FieldError{Field: "status", Message: "must be one of: draft, active, paused"}
	}
}

// DefaultSchema is the destination schema of a pipeline named name: its snake_case (the load
// engine's naming, so "Shop Orders" loads into shop_orders), cut to the identifier limit.
func DefaultSchema(name string) string {
	s := load.SnakeCase(name)
	for len(s) > maxSchemaBytes {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	if t := strings.TrimRight(s, "_"); t != "" {
		s = t
	}
	return s
}

// checkSchema accepts a plain identifier: letters, digits and underscores, not starting with
// a digit, at most 63 bytes. It is always quoted when used; the rule keeps schema names
// portable across destinations and out of the systems' own namespaces.
func checkSchema(s string) *apperr.FieldError {
	fail := func(msg string) *apperr.FieldError {
		return &apperr.FieldError{Field: "destination_schema", Message: msg}
	}
	if s == "" || len(s) > maxSchemaBytes {
		return fail("must be 1 to 63 bytes")
	}
	for i, r := range s {
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return fail("may hold only letters, digits and underscores")
		}
		if i == 0 && unicode.IsDigit(r) {
			return fail("must not start with a digit")
		}
	}
	lower := strings.ToLower(s)
	if strings.HasPrefix(lower, "pg_") || lower == "information_schema" || lower == "mysql" || lower == "performance_schema" || lower == "sys" {
		return fail("is reserved by the destination system")
	}
	return nil
}

// Normalize validates a pipeline config by SPEC §6 (load.ParseConfig) and returns it with
// every default filled in, as it is stored and shown: what GET answers is what will run. The
// field errors carry paths under "config.".
func Normalize(cfg map[string]any) (map[string]any, []apperr.FieldError) {
	if cfg == nil {
		cfg = map[string]any{}
	}
	// Through JSON again so numbers reach the validator as json.Number (it rejects 2.5 as a
	// batch size, which a float64 would hide).
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, []apperr.FieldError{{Field: "config", Message: "is not valid JSON"}}
	}
	parsed, err := load.ParseConfig(raw)
	var ferrs load.FieldErrors
	if errors.As(err, &ferrs) {
		return nil, ferrs
	}
	if err != nil {
		return nil, []apperr.FieldError{{Field: "config", Message: err.Error()}}
	}
	b, err := json.Marshal(parsed)
	if err != nil {
		return nil, []apperr.FieldError{{Field: "config", Message: fmt.Sprintf("cannot be stored: %v", err)}}
	}
	var out map[string]any
	if err := decodeExact(b, &out); err != nil {
		return nil, []apperr.FieldError{{Field: "config", Message: fmt.Sprintf("cannot be stored: %v", err)}}
	}
	return out, nil
}

// decodeExact decodes JSON keeping numbers as json.Number: a filter value or initial_value of
// 9007199254740993 must not become 9007199254740992 on its way to the database and back.
func decodeExact(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
