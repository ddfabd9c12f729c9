package jinja

import (
	"strconv"
	"strings"
)

// Reading a model's ref(), source() and config() calls is what parsing a dbt project is for
// (the DAG and the configs); dbt-core renders every model to learn them. When a template
// makes those calls only as whole {{ }} tags at its top level with literal arguments, and no
// macro it can reach mentions them, the calls a render would record are exactly those tags,
// in order: StaticCalls reads them from the text and the engine skips that render (and keeps
// no parsed tree of the model until it compiles it). Anything else — a call inside an
// {% if %} or a loop, a computed argument, a macro that calls ref() — falls back to the render.

// mentionsParseWords says whether a text has the word ref, source or config.
func mentionsParseWords(s string) bool {
	return hasWord(s, "ref") || hasWord(s, "source") || hasWord(s, "config")
}

// hasWord finds w in s as a whole identifier.
func hasWord(s, w string) bool {
	for rest, off := s, 0; ; {
		i := strings.Index(rest, w)
		if i < 0 {
			return false
		}
		at := off + i
		end := at + len(w)
		if (at == 0 || !isWordByte(s[at-1])) && (end == len(s) || !isWordByte(s[end])) {
			return true
		}
		rest, off = s[end:], end
	}
}

type staticResult struct {
	calls []StaticCall
	ok    bool
}

// StaticCall is one ref(), source() or config() call with literal arguments.
type StaticCall struct {
	Name   string
	Args   []any
	Kwargs map[string]any
}

// blockOpeners are the statements whose body runs conditionally, repeatedly or elsewhere.
var blockOpeners = map[string]bool{"if": true, "for": true, "macro": true, "call": true, "filter": true,
	"with": true, "block": true, "autoescape": true, "materialization": true, "test": true, "snapshot": true}

// StaticCalls gives the template's ref/source/config calls in source order, or ok false
// when only a render can tell them.
func (e *Env) StaticCalls(src string) (calls []StaticCall, ok bool) {
	c := e.opts.Cache
	if c == nil || e.macroHash == "" {
		return e.staticCalls(src)
	}
	// Kept across loads of the same project (the IDE's re-parse), as closures are.
	key := e.macroHash + src
	c.mu.Lock()
	r, hit := c.static[key]
	if hit {
		c.used[key] = true
	}
	c.mu.Unlock()
	if hit {
		return r.calls, r.ok
	}
	calls, ok = e.staticCalls(src)
	c.mu.Lock()
	c.static[key] = staticResult{calls, ok}
	c.used[key] = true
	c.mu.Unlock()
	return calls, ok
}

func (e *Env) staticCalls(src string) (calls []StaticCall, ok bool) {
	if !mentionsParseWords(src) {
		return nil, e.closureClean(src)
	}
	// The text as written: this reading accepts trailing commas itself, and test and
	// materialization blocks count as blocks.
	text := src
	depth := 0
	for i := 0; i+1 < len(text); i++ {
		if text[i] != '{' {
			continue
		}
		switch text[i+1] {
		case '#':
			end := strings.Index(text[i+2:], "#}")
			if end < 0 {
				return nil, false
			}
			i += 2 + end + 1
		case '{', '%':
			if text[i+1] == '%' && isRawTag(text[i:]) {
				loc := rawBlockEnd.FindStringIndex(text[i:])
				if loc == nil {
					return nil, false
				}
				i += loc[1] - 1
				continue
			}
			end := exprTagEnd(text, i+2, text[i+1])
			if end < 0 {
				return nil, false
			}
			body := strings.Trim(text[i+2:end-1], "-+")
			if !mentionsParseWords(body) {
				// Most tags: only a statement's keyword matters (no lexing, no allocation).
				if text[i+1] == '%' {
					kw := firstWord(body)
					switch {
					case blockOpeners[kw]:
						depth++
					case kw == "set" && !hasAssignText(body):
						depth++
					case strings.HasPrefix(kw, "end"):
						depth--
					}
				}
				i = end
				continue
			}
			toks, lexed := lex(body)
			if !lexed {
				return nil, false
			}
			if text[i+1] == '%' {
				return nil, false // a statement mentioning ref/source/config: render it
			} else if mentionsParseWord(toks) {
				call, isCall := literalCall(toks)
				if depth != 0 || !isCall {
					return nil, false
				}
				calls = append(calls, call)
			}
			i = end
		}
	}
	if depth != 0 {
		return nil, false
	}
	return calls, e.closureClean(src)
}

// closureClean says that no macro the text can reach mentions ref, source or config.
func (e *Env) closureClean(src string) bool {
	for _, m := range e.closure(src) {
		if e.parseWords[m] {
			return false
		}
	}
	return true
}

func mentionsParseWord(toks []token) bool {
	for i, t := range toks {
		if t.kind == tName && (t.text == "ref" || t.text == "source" || t.text == "config") &&
			(i == 0 || toks[i-1].text != ".") {
			return true
		}
	}
	return false
}

// firstWord is a statement's keyword.
func firstWord(body string) string {
	body = strings.TrimLeft(body, " \t\r\n")
	j := 0
	for j < len(body) && isWordByte(body[j]) {
		j++
	}
	return body[:j]
}

// hasAssignText says a set statement assigns (a = outside quotes, not part of ==, !=, <=, >=).
func hasAssignText(body string) bool {
	var quote byte
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case quote != 0:
			switch c {
			case '\\':
				i++
			case quote:
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '=':
			prev, next := byte(0), byte(0)
			if i > 0 {
				prev = body[i-1]
			}
			if i+1 < len(body) {
				next = body[i+1]
			}
			if next != '=' && prev != '=' && prev != '!' && prev != '<' && prev != '>' {
				return true
			}
		}
	}
	return false
}

// literalCall reads a tag that is exactly name(literal, …, key=literal, …).
func literalCall(toks []token) (StaticCall, bool) {
	if len(toks) < 3 || toks[0].kind != tName || toks[1].text != "(" {
		return StaticCall{}, false
	}
	p := &exprParser{toks: toks, pos: 1}
	a := p.parseArgs()
	if a == nil || !p.done() {
		return StaticCall{}, false
	}
	call := StaticCall{Name: toks[0].text, Kwargs: map[string]any{}}
	for _, n := range a.pos {
		v, ok := literalValue(n)
		if !ok {
			return StaticCall{}, false
		}
		call.Args = append(call.Args, v)
	}
	for _, kw := range a.kw {
		if kw.name == spreadArgs || kw.name == spreadKwargs {
			return StaticCall{}, false
		}
		v, ok := literalValue(kw.v)
		if !ok {
			return StaticCall{}, false
		}
		call.Kwargs[kw.name] = v
	}
	return call, true
}

// literalValue is a literal's Go value as a render would record it (goValue): strings, ints,
// floats, booleans, none, and lists and dicts of them.
func literalValue(n node) (any, bool) {
	switch v := n.(type) {
	case *paren:
		return literalValue(v.e)
	case *atom:
		t := v.text
		switch t {
		case "true", "True":
			return true, true
		case "false", "False":
			return false, true
		case "none", "None":
			return nil, true
		}
		switch c := t[0]; {
		case c == '\'' || c == '"':
			body := t[1 : len(t)-1]
			if strings.ContainsAny(body, "\\") {
				return nil, false
			}
			return body, true
		case c >= '0' && c <= '9':
			if i, err := strconv.Atoi(strings.ReplaceAll(t, "_", "")); err == nil {
				return i, true
			}
			if f, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64); err == nil {
				return f, true
			}
		}
		return nil, false
	case *seq:
		out := make([]any, 0, len(v.items))
		for _, it := range v.items {
			x, ok := literalValue(it)
			if !ok {
				return nil, false
			}
			out = append(out, x)
		}
		return out, true
	case *dict:
		out := make(map[string]any, len(v.keys))
		for i := range v.keys {
			k, ok := literalValue(v.keys[i])
			ks, isStr := k.(string)
			if !ok || !isStr {
				return nil, false
			}
			x, ok := literalValue(v.vals[i])
			if !ok {
				return nil, false
			}
			out[ks] = x
		}
		return out, true
	}
	return nil, false
}
