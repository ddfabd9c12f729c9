package server

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
	oapimw "github.com/oapi-codegen/echo-middleware"

	"github.com/datanika/datanika/internal/apperr"
)

// operationValidators validates every request of an operation against openapi.yaml before the
// handler runs: first its text (textCheck: no NUL, invalid UTF-8 or unpaired surrogate in any
// parameter or body string, no nesting deeper than maxJSONDepth), then its parameters (types,
// ranges, enums), and JSON bodies (required fields, types, formats, lengths, unknown fields where
// a schema forbids them). A body that is not JSON at all answers 400; a well-formed request that
// breaks the schema answers 422 with one field error per problem, each named by its JSON path
// ("config.port"). It returns the middlewares of each operationId, to be attached to the
// generated routes, so nothing else goes through them.
//
// Authentication is not the validator's job (it has its own middleware), so security
// requirements are not checked here.
func operationValidators(spec []byte) (map[string][]echo.MiddlewareFunc, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.yaml is invalid: %w", err)
	}
	doc.Servers = nil // match paths whatever Host the request names
	mw := oapimw.OapiRequestValidatorWithOptions(doc, &oapimw.Options{
		Options: openapi3filter.Options{
			MultiError:         true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
		MultiErrorHandler: func(me openapi3.MultiError) *echo.HTTPError {
			return &echo.HTTPError{Code: 422, Internal: me}
		},
		ErrorHandler: func(_ echo.Context, he *echo.HTTPError) error {
			return validationError(he)
		},
		SilenceServersWarning: true,
	})
	// Multipart uploads are streamed to storage by their handler: the validator would read the
	// whole body into memory, so it checks only their parameters.
	uploads := oapimw.OapiRequestValidatorWithOptions(doc, &oapimw.Options{
		Options: openapi3filter.Options{
			MultiError:         true,
			ExcludeRequestBody: true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
		MultiErrorHandler: func(me openapi3.MultiError) *echo.HTTPError {
			return &echo.HTTPError{Code: 422, Internal: me}
		},
		ErrorHandler:          func(_ echo.Context, he *echo.HTTPError) error { return validationError(he) },
		SilenceServersWarning: true,
	})
	byOperation := map[string][]echo.MiddlewareFunc{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID == "" {
				continue
			}
			switch {
			case op.RequestBody != nil && op.RequestBody.Value.Content.Get("multipart/form-data") != nil:
				byOperation[op.OperationID] = []echo.MiddlewareFunc{textCheck(false), uploads}
			default:
				byOperation[op.OperationID] = []echo.MiddlewareFunc{textCheck(op.RequestBody != nil), mw}
			}
		}
	}
	return byOperation, nil
}

// validationError turns the validator's error into a domain error: BadRequest for a body that
// cannot be parsed, Invalid with field paths for everything else.
func validationError(he *echo.HTTPError) error {
	if he.Internal == nil {
		return he // routing answers (404, 405) pass through as they are
	}
	var fields []apperr.FieldError
	malformed := false
	collectFieldErrors(he.Internal, "", &fields, &malformed)
	if malformed {
		return apperr.New(apperr.BadRequest, "The request body is not valid JSON.") // no cause: it would quote the body
	}
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	return apperr.Invalidf(fields, "The request does not match the API contract.") // no cause: kin-openapi quotes values, passwords included
}

func collectFieldErrors(err error, prefix string, out *[]apperr.FieldError, malformed *bool) {
	// Dispatch on the error itself, not on what it wraps: a RequestError wraps the schema errors
	// of its parameter, and the parameter's name must not be lost on the way down.
	switch e := err.(type) { //nolint:errorlint // deliberate: the outer error carries the field name
	case openapi3.MultiError:
		for _, inner := range e {
			collectFieldErrors(inner, prefix, out, malformed)
		}
	case *openapi3filter.RequestError:
		var parseErr *openapi3filter.ParseError
		if e.Parameter != nil {
			prefix = e.Parameter.Name
			if errors.As(e.Err, &parseErr) { // "limit=ten": a bad value, not a malformed body
				*out = append(*out, apperr.FieldError{Field: prefix, Message: "has a value of the wrong type"})
				return
			}
		}
		if e.RequestBody != nil && e.Err != nil && errors.As(e.Err, &parseErr) {
			*malformed = true
			return
		}
		before := len(*out)
		if e.Err != nil {
			collectFieldErrors(e.Err, prefix, out, malformed)
		}
		if len(*out) == before && !*malformed {
			*out = append(*out, apperr.FieldError{Field: prefix, Message: reasonOf(e)})
		}
	case *openapi3.SchemaError:
		path := e.JSONPointer()
		if prefix != "" {
			path = append([]string{prefix}, path...)
		}
		// kin-openapi names an unknown property only in its reason; the field is that property.
		if m := unsupportedProperty.FindStringSubmatch(e.Reason); m != nil {
			path = append(path, m[1])
		}
		*out = append(*out, apperr.FieldError{Field: strings.Join(path, "."), Message: e.Reason})
	case *openapi3filter.ParseError:
		*malformed = true
	default:
		if next := errors.Unwrap(err); next != nil {
			collectFieldErrors(next, prefix, out, malformed)
			return
		}
		*out = append(*out, apperr.FieldError{Field: prefix, Message: err.Error()})
	}
}

var unsupportedProperty = regexp.MustCompile(`^property "([^"]+)" is unsupported$`)

func reasonOf(e *openapi3filter.RequestError) string {
	if e.Reason != "" {
		return e.Reason
	}
	if e.Err != nil {
		return e.Err.Error()
	}
	return "is invalid"
}
