package jinja

import (
	"regexp"
	"strings"
)

var rawBlockEnd = regexp.MustCompile(`\{%-?\s*endraw\s*-?%\}`)

// dropTrailingCommas blanks a comma that ends an argument list, list or dict inside a Jinja
// tag — config(a=1,), ref('x',), [1, 2,] — which Python's grammar accepts and gonja's parser
// does not. The comma becomes a space, so lines and columns of errors stay true. Text outside
// tags, string literals, comments and {% raw %} blocks are left alone.
func dropTrailingCommas(src string) string {
	if !strings.Contains(src, ",") {
		return src
	}
	// The text is copied only when a comma is blanked: most templates have none to blank.
	var b []byte
	done := func() string {
		if b == nil {
			return src
		}
		return string(b)
	}
	for i := 0; i+1 < len(src); i++ {
		if src[i] != '{' {
			continue
		}
		switch src[i+1] {
		case '#':
			end := strings.Index(src[i+2:], "#}")
			if end < 0 {
				return done()
			}
			i += 2 + end + 1
		case '{', '%':
			if src[i+1] == '%' && isRawTag(src[i:]) {
				loc := rawBlockEnd.FindStringIndex(src[i:])
				if loc == nil {
					return done()
				}
				i += loc[1] - 1
				continue
			}
			i = blankInTag(src, &b, i+2, src[i+1])
		}
	}
	return done()
}

var rawTag = regexp.MustCompile(`^\{%-?\s*raw\s*-?%\}`)

func isRawTag(s string) bool {
	// Cheap refusal first: this runs for every {% tag of every template.
	rest := strings.TrimLeft(strings.TrimPrefix(s[min(2, len(s)):], "-"), " \t\r\n")
	return strings.HasPrefix(rest, "raw") && rawTag.MatchString(s)
}

// blankInTag scans one tag of src from start (just after {{ or {%) to its end and blanks its
// trailing commas in *out (a copy of src made at the first); it returns the index of the tag's
// last character.
func blankInTag(b string, out *[]byte, start int, kind byte) int {
	closer := byte('}')
	if kind == '%' {
		closer = '%'
	}
	depth := 0
	var quote byte
	for i := start; i < len(b); i++ {
		c := b[i]
		if quote != 0 {
			switch c {
			case '\\':
				i++
			case quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
		case '(', '[', '{':
			depth++
		case ')', ']':
			depth--
		case '}':
			if depth == 0 && closer == '}' && i+1 < len(b) && b[i+1] == '}' {
				return i + 1
			}
			depth--
		case '%':
			if depth <= 0 && closer == '%' && i+1 < len(b) && b[i+1] == '}' {
				return i + 1
			}
		case ',':
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
				j++
			}
			if j < len(b) && (b[j] == ')' || b[j] == ']' || (b[j] == '}' && depth > 0)) {
				if *out == nil {
					*out = []byte(b)
				}
				(*out)[i] = ' '
			}
		}
	}
	return len(b) - 1
}
