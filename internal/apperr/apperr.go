// Package apperr owns the typed errors that domain code returns: each carries a kind (which the
// HTTP layer maps to a status code), a public detail safe to show to users, optional field errors,
// and a hidden cause that is logged but never sent.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the API. The zero value is Internal.
type Kind int

// The kinds of error domain code can return.
const (
	Internal Kind = iota
	BadRequest
	Unauthenticated
	Forbidden
	NotFound
	Conflict
	Invalid
	TooLarge
	RateLimited
	Unavailable
)

// FieldError names one invalid field by its JSON path, such as "config.port".
type FieldError struct {
	Field   string
	Message string
	// File, Line and Column place an error of a dbt project's file (a model's Jinja); zero
	// when the error is not about a file.
	File         string
	Line, Column int
}

// Error is a domain error with a public detail and a hidden cause.
type Error struct {
	Kind   Kind
	Detail string
	Fields []FieldError
	// RetryAfterSeconds is sent as Retry-After with RateLimited and Unavailable errors when set.
	RetryAfterSeconds int
	// ActiveRunID, on a Conflict of a run trigger or retry or a pipeline delete, is the run still
	// queued or running (the problem's active_run_id); 0: none.
	ActiveRunID int64
	// Cycle, on a Conflict of a dependency that would close a cycle, is the cycle's node keys,
	// first and last the same (the problem's cycle).
	Cycle []string
	cause error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %v", e.Detail, e.cause)
	}
	return e.Detail
}

// Unwrap exposes the hidden cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.cause }

// WithCause returns a copy of e that keeps cause for logs.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// New returns an error of the given kind with a public detail.
func New(kind Kind, detail string) *Error { return &Error{Kind: kind, Detail: detail} }

// Newf is New with a formatted detail.
func Newf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// NotFoundf reports a missing resource (or one of another org, which must look the same).
func NotFoundf(format string, args ...any) *Error { return Newf(NotFound, format, args...) }

// Conflictf reports a clash with the current state, such as a duplicate name.
func Conflictf(format string, args ...any) *Error { return Newf(Conflict, format, args...) }

// Invalidf reports input that is well-formed but breaks a rule; fields name the offending paths.
func Invalidf(fields []FieldError, format string, args ...any) *Error {
	e := Newf(Invalid, format, args...)
	e.Fields = fields
	return e
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// KindOf returns the kind of err, Internal when err is not an *Error.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return Internal
}
