package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/datanika/datanika/internal/apperr"
)

// maxJSONDepth bounds how deeply a request body may nest arrays and objects. No document of the
// API comes near it (an org import is about eight levels deep); the bound keeps every later
// reader of the body — the validator, the handler's decoder, PostgreSQL's jsonb parser — far
// from its own recursion limits.
const maxJSONDepth = 64

// maxTextErrors bounds the field errors of one answer, so a body full of NULs gets a short one.
const maxTextErrors = 20

// textCheck refuses, before anything else reads them, request strings that PostgreSQL text
// cannot hold or that are not text at all: a NUL character (U+0000), invalid UTF-8, and (in a
// JSON body) an escaped UTF-16 surrogate without its pair ("\ud800"), which Go's JSON decoder
// would silently turn into U+FFFD. It looks at every path and query parameter (names and
// values) and, when jsonBody is set, at every string value and object key of the body, however
// deeply nested, free-form objects included. Each offence answers 422 with the field's JSON
// path ("config.table", "name", "limit"); a body nested more than maxJSONDepth levels answers
// 422 too. Text made of valid characters, U+FFFD included, passes.
//
// A body that is not JSON is left to the validator (400 or 422, as before); a body beyond the
// size limit answers 413.
func textCheck(jsonBody bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			var fields []apperr.FieldError
			for i, name := range c.ParamNames() {
				value := c.ParamValues()[i]
				if req.URL.RawPath != "" { // the router matched the escaped path: values are escaped
					if unescaped, err := url.PathUnescape(value); err == nil {
						value = unescaped
					}
				}
				if msg := badText(value); msg != "" {
					fields = append(fields, apperr.FieldError{Field: name, Message: msg})
				}
			}
			for name, values := range c.QueryParams() {
				if msg := badText(name); msg != "" {
					fields = append(fields, apperr.FieldError{Field: fieldName(name), Message: "names a parameter with text that " + msg})
					continue
				}
				for _, v := range values {
					if msg := badText(v); msg != "" {
						fields = append(fields, apperr.FieldError{Field: name, Message: msg})
						break
					}
				}
			}
			if jsonBody && req.Body != nil && req.Body != http.NoBody {
				body, err := io.ReadAll(req.Body)
				if err != nil {
					return err // 413 beyond the body limit (see bodyLimit)
				}
				req.Body = io.NopCloser(bytes.NewReader(body))
				fields = append(fields, jsonTextErrors(body)...)
			}
			if len(fields) == 0 {
				return next(c)
			}
			sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
			if len(fields) > maxTextErrors {
				fields = fields[:maxTextErrors]
			}
			return apperr.Invalidf(fields, "The request contains text that is not accepted: NUL characters, invalid UTF-8 and unpaired surrogates are refused.")
		}
	}
}

// badText says what is wrong with s as text, or "".
func badText(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8 text"
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain NUL characters (U+0000)"
	}
	return ""
}

// fieldName makes a name fit to be shown as a field: its unfit characters become U+FFFD, and a
// long one is cut.
func fieldName(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64]) + "…"
	}
	return s
}

// jsonTextErrors walks the first JSON value of body token by token (no recursion, so no depth
// can exhaust the stack) and reports every string value and object key that is not acceptable
// text, by JSON path, and nesting beyond maxJSONDepth. A body that is not JSON reports nothing:
// the validator answers it.
func jsonTextErrors(body []byte) []apperr.FieldError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object    bool
		expectKey bool
		key       string
		index     int
	}
	var stack []frame
	path := func(last string) string {
		segs := make([]string, 0, len(stack)+1)
		for _, f := range stack {
			if f.object {
				segs = append(segs, f.key)
			} else {
				segs = append(segs, strconv.Itoa(f.index))
			}
		}
		if last != "" {
			segs = append(segs, last)
		}
		return strings.Join(segs, ".")
	}
	// valueDone moves the enclosing container past the value just read.
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		if top := &stack[len(stack)-1]; top.object {
			top.expectKey = true
		} else {
			top.index++
		}
	}
	var fields []apperr.FieldError
	offset := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) && len(stack) == 0 {
				return fields // an empty body: the validator says whether one is required
			}
			return nil // not JSON: the validator answers 400
		}
		raw := body[offset:dec.InputOffset()]
		offset = dec.InputOffset()
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) == maxJSONDepth {
					return append(fields, apperr.FieldError{Field: path(""), Message: "nests arrays and objects more than " + strconv.Itoa(maxJSONDepth) + " levels deep"})
				}
				stack = append(stack, frame{object: t == '{', expectKey: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].expectKey
			msg := badJSONString(raw)
			if isKey {
				top := &stack[len(stack)-1]
				top.key, top.expectKey = fieldName(t), false
				if msg != "" {
					fields = append(fields, apperr.FieldError{Field: path(""), Message: "is a key that " + msg})
				}
				break
			}
			if msg != "" {
				fields = append(fields, apperr.FieldError{Field: path(""), Message: msg})
			}
			valueDone()
		default:
			valueDone()
		}
		if len(stack) == 0 {
			return fields // the first value is complete; what follows is the validator's to judge
		}
	}
}

// badJSONString says what is wrong with the text of a JSON string literal, or "". raw holds the
// literal as sent, possibly after whitespace and a ',' or ':', which are skipped. The decoder
// has already checked the literal's syntax; this looks at what it would repair or let through:
// bytes that are not UTF-8, "\u0000", and surrogate escapes without their pair.
func badJSONString(raw []byte) string {
	if i := bytes.IndexByte(raw, '"'); i >= 0 {
		raw = raw[i:]
	}
	if !utf8.Valid(raw) {
		return "must be valid UTF-8 text"
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if i >= len(raw) || raw[i] != 'u' {
			continue // \" \\ \/ \b \f \n \r \t
		}
		r := hex4(raw[i+1:])
		i += 4
		switch {
		case r == 0:
			return "must not contain NUL characters (U+0000)"
		case r >= 0xD800 && r < 0xDC00: // a high surrogate: a low one must follow
			if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if low := hex4(raw[i+3:]); low >= 0xDC00 && low < 0xE000 {
					i += 6
					continue
				}
			}
			return "must not contain unpaired UTF-16 surrogates (\\ud800 to \\udfff)"
		case r >= 0xDC00 && r < 0xE000:
			return "must not contain unpaired UTF-16 surrogates (\\ud800 to \\udfff)"
		}
	}
	return ""
}

// hex4 reads the four hex digits of a \u escape (the decoder has checked they are there).
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}
