package jinja

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
)

// Jinja's expression grammar, as Python's Jinja2 (and so dbt) parses it, differs from what gonja's
// parser accepts in ways real packages hit (dbt_utils' equality, recency, unpivot, surrogate_key,
// not_null_proportion all stopped at parse time):
//
//   - a filter binds to the operand next to it, so `a in b|map('lower')` tests membership in the
//     mapped list; gonja applies the filter to the whole `a in b`;
//   - a conditional expression may stand anywhere (`('date' if t else 'ts')`, `f(x=a if c else b)`);
//     gonja takes one only as the whole of a `{{ }}` or `{% set %}`;
//   - a call may spread arguments, `f(a, *varargs, **kwargs)`;
//   - a line break may follow `and`/`or` inside a multi-line condition.
//
// Rather than fork gonja, normalizeExpressions re-parses the expression of each {{ }}, {% if %},
// {% elif %}, {% set %}, {% do %} and {% for %} tag with Jinja2's grammar (below) and prints it back
// in the subset gonja reads the same way: every compound sub-expression in parentheses, a nested
// conditional with and/or (condExpr.print), spread arguments as the keyword arguments spreadArgs and
// spreadKwargs, which bound macros expand (expandSpread). A tag whose expression this parser
// cannot read is left as it was, so gonja reports its own error at its own position. Line breaks
// inside a tag move to its end, keeping the line of everything after it.

const (
	spreadArgs   = "__dnk_spread_args"
	spreadKwargs = "__dnk_spread_kwargs"
	keyFunc      = "__dnk_key"
	addFunc      = "__dnk_add"
	subFunc      = "__dnk_sub"
	modFunc      = "__dnk_mod"
	unpackVar    = "__dnk_unpack"
	backslashVar = "__dnk_bs"
	quoteVar     = "__dnk_sq"
	newlineVar   = "__dnk_nl"
	returnVar    = "__dnk_cr"
)

// safeLiteral re-spells a string literal with a backslash in it, which gonja's lexer misreads
// ("\\" ending a string, "\\'"): the value Python gives it, as quoted runs joined with
// variables for the backslash, the single quote and line breaks. Others stay as written.
func safeLiteral(raw string) string {
	if !strings.Contains(raw, "\\") {
		return raw
	}
	value := pyUnquote(raw)
	var parts []string
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			parts = append(parts, "'"+run.String()+"'")
			run.Reset()
		}
	}
	for _, r := range value {
		switch r {
		case '\\':
			flush()
			parts = append(parts, backslashVar)
		case '\'':
			flush()
			parts = append(parts, quoteVar)
		case '\n':
			flush()
			parts = append(parts, newlineVar)
		case '\r':
			flush()
			parts = append(parts, returnVar)
		default:
			run.WriteRune(r)
		}
	}
	flush()
	if len(parts) == 0 {
		return "''"
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, " ~ ") + ")"
}

// pyUnquote is a quoted Python string's value: \\ \' \" \n \t \r \0 \xHH \uHHHH
// decoded, any other backslash kept with its character (as Python keeps '\d').
func pyUnquote(raw string) string {
	body := raw[1 : len(raw)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' || i+1 == len(body) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := body[i]; e {
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '0':
			b.WriteByte(0)
		case 'x', 'u':
			n := 2
			if e == 'u' {
				n = 4
			}
			if i+1+n <= len(body) {
				if v, err := strconv.ParseUint(body[i+1:i+1+n], 16, 32); err == nil {
					b.WriteRune(rune(v)) //nolint:gosec // at most 0xFFFF
					i += n
					continue
				}
			}
			b.WriteByte('\\')
			b.WriteByte(e)
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String()
}

// normalizeExpressions rewrites the expression tags of src as described above.
func normalizeExpressions(src string) string {
	if !strings.Contains(src, "{{") && !strings.Contains(src, "{%") {
		return src
	}
	var out strings.Builder
	last := 0
	for i := 0; i+1 < len(src); i++ {
		if src[i] != '{' {
			continue
		}
		switch src[i+1] {
		case '#':
			end := strings.Index(src[i+2:], "#}")
			if end < 0 {
				i = len(src)
				continue
			}
			i += 2 + end + 1
		case '{', '%':
			if src[i+1] == '%' && isRawTag(src[i:]) {
				loc := rawBlockEnd.FindStringIndex(src[i:])
				if loc == nil {
					i = len(src)
					continue
				}
				i += loc[1] - 1
				continue
			}
			end := exprTagEnd(src, i+2, src[i+1])
			if end < 0 {
				i = len(src)
				continue
			}
			if repl, ok := normalizeTagCached(src[i : end+1]); ok {
				out.WriteString(src[last:i])
				out.WriteString(repl)
				last = end + 1
			}
			i = end
		}
	}
	if last == 0 {
		return src
	}
	out.WriteString(src[last:])
	return out.String()
}

// exprTagEnd gives the index of the last character of the tag whose body starts at start, or -1.
func exprTagEnd(s string, start int, kind byte) int {
	var quote byte
	depth := 0
	for i := start; i+1 < len(s); i++ {
		c := s[i]
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
			if depth <= 0 && kind == '{' && s[i+1] == '}' {
				return i + 1
			}
			depth--
		case '%':
			if depth <= 0 && kind == '%' && s[i+1] == '}' {
				return i + 1
			}
		}
	}
	return -1
}

// modulo is a % b: Python's string formatting when a is a string ("%s_%s" % (a, b)), the
// integer or float remainder otherwise, and an error instead of a crash for a zero divisor.
func modulo(va *exec.VarArgs) *exec.Value {
	if len(va.Args) != 2 {
		return exec.AsValue(errors.New("% needs two operands"))
	}
	l, r := va.Args[0], va.Args[1]
	switch {
	case l.IsError():
		return l
	case r.IsError():
		return r
	case l.IsString():
		out, err := pyFormat(l.String(), r)
		if err != nil {
			return exec.AsValue(err)
		}
		return exec.AsValue(out)
	case l.IsInteger() && r.IsInteger():
		if r.Integer() == 0 {
			return exec.AsValue(errors.New("integer modulo by zero"))
		}
		m := l.Integer() % r.Integer()
		if m != 0 && (m < 0) != (r.Integer() < 0) {
			m += r.Integer() // Python's sign follows the divisor
		}
		return exec.AsValue(m)
	case l.IsNumber() && r.IsNumber():
		if r.Float() == 0 {
			return exec.AsValue(errors.New("float modulo by zero"))
		}
		m := math.Mod(l.Float(), r.Float())
		if m != 0 && (m < 0) != (r.Float() < 0) {
			m += r.Float()
		}
		return exec.AsValue(m)
	}
	return exec.AsValue(fmt.Errorf("unsupported operand types for %%: %s and %s", l.String(), r.String()))
}

var pyVerb = regexp.MustCompile(`%(\([A-Za-z_][A-Za-z0-9_]*\))?([-+ 0#]*)(\d*)(?:\.(\d+))?([sdirfeEgGxXoc%])`)

// pyFormat is Python's printf-style formatting: format % value, value % (a, b) or % {'k': v}.
func pyFormat(format string, arg *exec.Value) (string, error) {
	var args []*exec.Value
	switch {
	case arg.IsList():
		for i := 0; i < arg.Len(); i++ {
			args = append(args, arg.Index(i))
		}
	default:
		args = []*exec.Value{arg}
	}
	next := 0
	var ferr error
	out := pyVerb.ReplaceAllStringFunc(format, func(spec string) string {
		m := pyVerb.FindStringSubmatch(spec)
		verb := m[5]
		if verb == "%" {
			return "%"
		}
		var v *exec.Value
		if m[1] != "" {
			key := m[1][1 : len(m[1])-1]
			item, ok := arg.GetItem(key)
			if !ok {
				ferr = fmt.Errorf("format: no key %q", key)
				return spec
			}
			v = item
		} else {
			if next >= len(args) {
				ferr = errors.New("not enough arguments for format string")
				return spec
			}
			v = args[next]
			next++
		}
		goSpec := "%" + m[2] + m[3]
		if m[4] != "" {
			goSpec += "." + m[4]
		}
		switch verb {
		case "s", "r":
			return fmt.Sprintf(goSpec+"s", v.String())
		case "d", "i":
			return fmt.Sprintf(goSpec+"d", v.Integer())
		case "c":
			n := v.Integer()
			if n < 0 || n > unicode.MaxRune {
				ferr = fmt.Errorf("%%c: %d is not a character", n)
				return spec
			}
			return string(rune(n)) //nolint:gosec // bounded just above
		case "x", "X", "o":
			return fmt.Sprintf(goSpec+verb, v.Integer())
		default: // f e E g G
			return fmt.Sprintf(goSpec+verb, v.Float())
		}
	})
	if ferr != nil {
		return "", ferr
	}
	if m := pyVerb.FindAllString(format, -1); m != nil && next < len(args) && !arg.IsDict() && arg.IsList() {
		return "", errors.New("not all arguments converted during string formatting")
	}
	return out, nil
}

// needsNormalizing says whether a tag's text has anything gonja may read differently from
// Jinja2: a filter, a spread or arithmetic operator, a line break, a subscript, a method of
// a parenthesised expression, adjacent literals or an inline conditional. Most tags ({{ ref('x') }}, {% for c in cols %}) have none and stay as written.
func needsNormalizing(tag string) bool {
	body := strings.Trim(tag[2:len(tag)-2], "-+")
	if strings.ContainsAny(body, "|*\n+-[%\\") || strings.Contains(body, ").") {
		return true
	}
	if trimmed := strings.TrimSpace(body); strings.HasPrefix(trimmed, "set ") {
		if eq := strings.IndexByte(trimmed, '='); eq > 0 && strings.Contains(trimmed[:eq], ",") {
			return true // set a, b = …
		}
	}
	if strings.Contains(body, " if ") && !strings.HasPrefix(strings.TrimSpace(body), "if ") {
		return true
	}
	return adjacentLiterals(body)
}

// adjacentLiterals finds a quote, spaces, then a quote: 'a' 'b' (Python concatenates
// them), which only this rewriting reads; a false positive only costs a normalization.
func adjacentLiterals(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '\'' && s[i] != '"' {
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j > i+1 && j < len(s) && (s[j] == '\'' || s[j] == '"') {
			return true
		}
	}
	return false
}

// normalizedTags keeps normalizeTag's answers by tag text: the same tags come back in file
// after file ({{ config(materialized='table') }}, a macro call with the same arguments), and
// re-parsing each was a twentieth of a compile. When full it starts again empty.
var normalizedTags struct {
	sync.Mutex
	m map[string]normalizedTag
}

type normalizedTag struct {
	repl string
	ok   bool
}

const maxNormalizedTags = 4096

// normalizeTagCached is normalizeTag, remembered for tags that need the work.
func normalizeTagCached(tag string) (string, bool) {
	if !needsNormalizing(tag) {
		return "", false
	}
	normalizedTags.Lock()
	r, hit := normalizedTags.m[tag]
	normalizedTags.Unlock()
	if hit {
		return r.repl, r.ok
	}
	r.repl, r.ok = normalizeTag(tag)
	normalizedTags.Lock()
	if normalizedTags.m == nil || len(normalizedTags.m) >= maxNormalizedTags {
		normalizedTags.m = map[string]normalizedTag{}
	}
	// A copy: the tag is a slice of a whole template, which the key would otherwise keep.
	normalizedTags.m[strings.Clone(tag)] = r
	normalizedTags.Unlock()
	return r.repl, r.ok
}

// normalizeTag rewrites one whole tag ("{{- x -}}", "{% if x %}"); ok is false to keep it.
func normalizeTag(tag string) (string, bool) {
	if !needsNormalizing(tag) {
		return "", false
	}
	open, body := tag[:2], tag[2:len(tag)-2]
	closing := tag[len(tag)-2:]
	if len(body) > 0 && (body[0] == '-' || body[0] == '+') {
		open += body[:1]
		body = body[1:]
	}
	if n := len(body); n > 0 && (body[n-1] == '-' || body[n-1] == '+') {
		closing = body[n-1:] + closing
		body = body[:n-1]
	}
	newlines := strings.Count(body, "\n")
	var printed string
	var ok bool
	if open[1] == '{' {
		printed, ok = normalizeOutput(body)
	} else {
		printed, ok = normalizeStatement(body)
	}
	if !ok {
		return "", false
	}
	return open + " " + printed + " " + strings.Repeat("\n", newlines) + closing, true
}

// normalizeOutput handles the body of {{ }}: an expression whose top-level conditional gonja
// evaluates itself (lazily).
func normalizeOutput(body string) (string, bool) {
	toks, ok := lex(body)
	if !ok || len(toks) == 0 {
		return "", false
	}
	p := &exprParser{toks: toks}
	e := p.parseTopConditional()
	if e == nil || !p.done() {
		return "", false
	}
	return e.print(true), true
}

func normalizeStatement(body string) (string, bool) {
	toks, ok := lex(body)
	if !ok || len(toks) < 2 || toks[0].kind != tName {
		return "", false
	}
	kw := toks[0].text
	p := &exprParser{toks: toks, pos: 1}
	switch kw {
	case "if", "elif", "do":
		e := p.parseExpr()
		if e == nil || !p.done() {
			return "", false
		}
		return kw + " " + e.print(false), true
	case "set":
		// {% set a = … %}, {% set a, b = … %}, {% set ns.x = … %}; a block set has no "=".
		eq := -1
		for i := 1; i < len(toks); i++ {
			if toks[i].kind == tOp && toks[i].text == "=" {
				eq = i
				break
			}
			if !isTargetToken(toks[i], true) {
				return "", false
			}
		}
		if eq < 0 {
			return "", false
		}
		p.pos = eq + 1
		e := p.parseTopConditional()
		if e == nil || !p.done() {
			return "", false
		}
		targets := toks[1:eq]
		var names []string
		unpack := len(targets) > 1
		for i, t := range targets {
			switch {
			case i%2 == 0 && t.kind == tName:
				names = append(names, t.text)
			case i%2 == 1 && t.kind == tOp && t.text == ",":
			default:
				unpack = false
			}
		}
		if unpack && len(names) > 1 {
			// {% set a, b = pair %}: gonja takes one name; unpack through a temporary, in
			// statements of this one tag (its whitespace control stays on its outer ends).
			out := "set " + unpackVar + " = " + e.print(true)
			for i, name := range names {
				out += " %}{% set " + name + " = " + unpackVar + "[" + strconv.Itoa(i) + "]"
			}
			return out, true
		}
		return "set " + joinTokens(targets) + " = " + e.print(true), true
	case "for":
		in := -1
		for i := 1; i < len(toks); i++ {
			if toks[i].kind == tName && toks[i].text == "in" {
				in = i
				break
			}
			if !isTargetToken(toks[i], false) {
				return "", false
			}
		}
		if in < 0 {
			return "", false
		}
		p.pos = in + 1
		e := p.parseOr()
		if e == nil {
			return "", false
		}
		s := "for " + joinTokens(toks[1:in]) + " in " + e.print(false)
		if p.acceptName("if") {
			c := p.parseOr()
			if c == nil {
				return "", false
			}
			s += " if " + c.print(false)
		}
		if p.acceptName("recursive") {
			s += " recursive"
		}
		if !p.done() {
			return "", false
		}
		return s, true
	}
	return "", false
}

// isTargetToken says whether t may stand in an assignment target (a, b / ns.attr).
func isTargetToken(t token, dotted bool) bool {
	return t.kind == tName || t.kind == tOp && (t.text == "," || dotted && t.text == ".")
}

func joinTokens(ts []token) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 && t.text != "," && t.text != "." && ts[i-1].text != "." {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// ---- lexer ----

type tokKind int

const (
	tName tokKind = iota
	tNumber
	tString
	tOp
)

type token struct {
	kind tokKind
	text string
}

var operators = []string{"**", "//", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "~", "|", ".", ",", ":", "=", "(", ")", "[", "]", "{", "}"}

func lex(s string) ([]token, bool) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			toks = append(toks, token{tName, s[i:j]})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '_' || s[j] == '.' && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' || s[j] == 'e' || s[j] == 'E') {
				j++
			}
			toks = append(toks, token{tNumber, s[i:j]})
			i = j
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, false
			}
			toks = append(toks, token{tString, s[i : j+1]})
			i = j + 1
		default:
			matched := false
			for _, op := range operators {
				if strings.HasPrefix(s[i:], op) {
					toks = append(toks, token{tOp, op})
					i += len(op)
					matched = true
					break
				}
			}
			if !matched {
				return nil, false
			}
		}
	}
	return toks, true
}

// ---- parser (Jinja2's precedence) ----

type exprParser struct {
	toks []token
	pos  int
	bad  bool
}

func (p *exprParser) done() bool { return !p.bad && p.pos == len(p.toks) }

func (p *exprParser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *exprParser) isOp(op string) bool {
	t := p.peek()
	return t != nil && t.kind == tOp && t.text == op
}

func (p *exprParser) isName(n string) bool {
	t := p.peek()
	return t != nil && t.kind == tName && t.text == n
}

func (p *exprParser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.pos++
		return true
	}
	return false
}

func (p *exprParser) acceptName(n string) bool {
	if p.isName(n) {
		p.pos++
		return true
	}
	return false
}

func (p *exprParser) fail() node {
	p.bad = true
	return nil
}

// parseTopConditional parses an expression whose outermost conditional stays gonja's own.
func (p *exprParser) parseTopConditional() node { return p.parseConditional(true) }

func (p *exprParser) parseExpr() node { return p.parseConditional(false) }

// parseConditional is `then if cond else els`; top keeps it gonja's own conditional (the
// whole of a {{ }} or {% set %}), else it is printed with and/or.
func (p *exprParser) parseConditional(top bool) node {
	e := p.parseOr()
	if e == nil || !p.acceptName("if") {
		return e
	}
	cond := p.parseOr()
	if cond == nil {
		return p.fail()
	}
	c := &condExpr{then: e, cond: cond, top: top}
	if p.acceptName("else") {
		if c.els = p.parseExpr(); c.els == nil {
			return p.fail()
		}
	}
	return c
}

// binaryLevel parses one left-associative level of operators: next (op next)*. ops are
// operator tokens, or names (and, or) when named.
func (p *exprParser) binaryLevel(next func() node, named bool, ops ...string) node {
	l := next()
	for l != nil {
		t := p.peek()
		if t == nil || (named && t.kind != tName) || (!named && t.kind != tOp) || !slices.Contains(ops, t.text) {
			return l
		}
		p.pos++
		r := next()
		if r == nil {
			return p.fail()
		}
		l = &binary{op: t.text, l: l, r: r}
	}
	return l
}

func (p *exprParser) parseOr() node { return p.binaryLevel(p.parseAnd, true, "or") }

func (p *exprParser) parseAnd() node { return p.binaryLevel(p.parseNot, true, "and") }

func (p *exprParser) parseNot() node {
	if p.acceptName("not") {
		e := p.parseNot()
		if e == nil {
			return p.fail()
		}
		return &not{e: e}
	}
	return p.parseCompare()
}

var compareOps = map[string]bool{"==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true}

func (p *exprParser) parseCompare() node {
	l := p.parseMath1()
	for l != nil {
		t := p.peek()
		if t == nil {
			break
		}
		var op string
		switch {
		case t.kind == tOp && compareOps[t.text]:
			op = t.text
			p.pos++
		case t.kind == tName && t.text == "in":
			op = "in"
			p.pos++
		case t.kind == tName && t.text == "not" && p.pos+1 < len(p.toks) && p.toks[p.pos+1].kind == tName && p.toks[p.pos+1].text == "in":
			op = "not in"
			p.pos += 2
		default:
			return l
		}
		r := p.parseMath1()
		if r == nil {
			return p.fail()
		}
		l = &binary{op: op, l: l, r: r}
	}
	return l
}

func (p *exprParser) parseMath1() node { return p.binaryLevel(p.parseConcat, false, "+", "-") }

func (p *exprParser) parseConcat() node { return p.binaryLevel(p.parseMath2, false, "~") }

func (p *exprParser) parseMath2() node {
	return p.binaryLevel(p.parsePow, false, "*", "/", "//", "%")
}

func (p *exprParser) parsePow() node { return p.binaryLevel(p.parseUnary, false, "**") }

// parseUnary is Jinja2's parse_unary: a sign applies to the operand before its filters
// (`-1|abs` is 1).
func (p *exprParser) parseUnary() node {
	e := p.parseSigned()
	if e == nil {
		return nil
	}
	return p.parseFilters(e)
}

func (p *exprParser) parseSigned() node {
	if p.isOp("-") || p.isOp("+") {
		op := p.toks[p.pos].text
		p.pos++
		e := p.parseSigned()
		if e == nil {
			return p.fail()
		}
		return &unary{op: op, e: e}
	}
	return p.parsePostfix()
}

// parseFilters parses the filters and tests that follow an operand (Jinja2's parse_filter_expr).
func (p *exprParser) parseFilters(e node) node {
	for !p.bad {
		switch {
		case p.acceptOp("|"):
			name := p.dottedName()
			if name == "" {
				return p.fail()
			}
			f := &filter{e: e, name: name}
			if p.isOp("(") {
				if f.args = p.parseArgs(); f.args == nil {
					return p.fail()
				}
			}
			e = f
		case p.acceptName("is"):
			neg := p.acceptName("not")
			name := p.dottedName()
			if name == "" {
				return p.fail()
			}
			t := &test{e: e, name: name, neg: neg}
			if p.isOp("(") {
				if t.args = p.parseArgs(); t.args == nil {
					return p.fail()
				}
			} else if nt := p.peek(); nt != nil && (nt.kind == tString || nt.kind == tNumber ||
				nt.kind == tName && !isKeyword(nt.text) || nt.kind == tOp && (nt.text == "[" || nt.text == "{")) {
				arg := p.parsePostfix()
				if arg == nil {
					return p.fail()
				}
				t.args = &args{pos: []node{arg}}
			}
			e = t
		default:
			return e
		}
	}
	return nil
}

func isKeyword(s string) bool {
	switch s {
	case "and", "or", "not", "in", "is", "if", "else":
		return true
	}
	return false
}

func (p *exprParser) dottedName() string {
	t := p.peek()
	if t == nil || t.kind != tName {
		return ""
	}
	p.pos++
	name := t.text
	for p.isOp(".") && p.pos+1 < len(p.toks) && p.toks[p.pos+1].kind == tName {
		name += "." + p.toks[p.pos+1].text
		p.pos += 2
	}
	return name
}

func (p *exprParser) parsePostfix() node {
	e := p.parsePrimary()
	for e != nil && !p.bad {
		switch {
		case p.isOp("."):
			t := p.toks[min(p.pos+1, len(p.toks)-1)]
			if p.pos+1 >= len(p.toks) || (t.kind != tName && t.kind != tNumber) {
				return p.fail()
			}
			p.pos += 2
			e = &getattr{e: e, name: t.text}
		case p.isOp("["):
			p.pos++
			sub := p.parseSubscript()
			if sub == "" || !p.acceptOp("]") {
				return p.fail()
			}
			e = &getitem{e: e, sub: sub}
		case p.isOp("("):
			a := p.parseArgs()
			if a == nil {
				return p.fail()
			}
			e = &call{fn: e, args: a}
		default:
			return e
		}
	}
	return e
}

// parseSubscript reads what is between [ and ], printed: an index or a slice. An index that is
// not a literal goes through keyFunc, so that a relation (or any value) can key a dict as in
// Python, where gonja takes only strings and integers.
func (p *exprParser) parseSubscript() string {
	var parts []string
	var only node
	for {
		if p.isOp(":") || p.isOp("]") {
			parts = append(parts, "")
		} else {
			e := p.parseExpr()
			if e == nil {
				return ""
			}
			only = e
			parts = append(parts, e.print(false))
		}
		if !p.acceptOp(":") {
			break
		}
		if len(parts) == 3 {
			return ""
		}
	}
	if len(parts) == 1 {
		if u, ok := only.(*unary); ok && u.op == "-" {
			if a, ok := u.e.(*atom); ok && a.text[0] >= '0' && a.text[0] <= '9' {
				return "-" + a.text // xs[-1]
			}
		}
		if a, ok := only.(*atom); !ok || !isLiteral(a.text) {
			return keyFunc + "(" + only.print(true) + ")"
		}
	}
	return strings.Join(parts, ":")
}

func isLiteral(text string) bool {
	c := text[0]
	return c == '\'' || c == '"' || c >= '0' && c <= '9' || c == '('
}

// keyOf is keyFunc: a string or integer index as it is, anything else (a relation, a column)
// as its str(), which is how gonja matches a dict's non-string keys.
func keyOf(va *exec.VarArgs) *exec.Value {
	if len(va.Args) != 1 {
		return exec.AsValue(errors.New("an index needs one value"))
	}
	v := va.Args[0]
	if v.IsNil() || v.IsString() || v.IsInteger() || v.IsError() {
		return v
	}
	if v.IsFloat() || v.IsBool() {
		return v
	}
	return exec.AsValue(v.String())
}

func (p *exprParser) parseArgs() *args {
	if !p.acceptOp("(") {
		return nil
	}
	a := &args{}
	for !p.acceptOp(")") {
		if p.bad || p.peek() == nil {
			return nil
		}
		switch {
		case p.acceptOp("**"):
			e := p.parseExpr()
			if e == nil {
				return nil
			}
			a.kw = append(a.kw, kwarg{name: spreadKwargs, v: e})
		case p.acceptOp("*"):
			e := p.parseExpr()
			if e == nil {
				return nil
			}
			a.kw = append(a.kw, kwarg{name: spreadArgs, v: e})
		default:
			t := p.peek()
			if t.kind == tName && p.pos+1 < len(p.toks) && p.toks[p.pos+1].kind == tOp && p.toks[p.pos+1].text == "=" {
				p.pos += 2
				e := p.parseExpr()
				if e == nil {
					return nil
				}
				a.kw = append(a.kw, kwarg{name: t.text, v: e})
			} else {
				e := p.parseExpr()
				if e == nil {
					return nil
				}
				if len(a.kw) > 0 {
					return nil // a positional argument after a keyword one
				}
				a.pos = append(a.pos, e)
			}
		}
		if !p.acceptOp(",") && !p.isOp(")") {
			return nil
		}
	}
	return a
}

func (p *exprParser) parsePrimary() node {
	t := p.peek()
	if t == nil {
		return nil
	}
	switch t.kind {
	case tName:
		if isKeyword(t.text) {
			return nil
		}
		p.pos++
		return &atom{text: t.text}
	case tNumber:
		p.pos++
		return &atom{text: t.text}
	case tString:
		p.pos++
		text := safeLiteral(t.text)
		// Adjacent literals concatenate, as in Python.
		for nt := p.peek(); nt != nil && nt.kind == tString; nt = p.peek() {
			p.pos++
			text += " ~ " + safeLiteral(nt.text)
		}
		if strings.Contains(text, " ~ ") {
			return &atom{text: "(" + text + ")"}
		}
		return &atom{text: text}
	case tOp:
		switch t.text {
		case "(":
			p.pos++
			if p.acceptOp(")") {
				return &seq{open: "(", close: ")"}
			}
			first := p.parseExpr()
			if first == nil {
				return p.fail()
			}
			if p.acceptOp(")") {
				return &paren{e: first}
			}
			s := &seq{open: "(", close: ")", items: []node{first}}
			for p.acceptOp(",") {
				if p.isOp(")") {
					break
				}
				e := p.parseExpr()
				if e == nil {
					return p.fail()
				}
				s.items = append(s.items, e)
			}
			if !p.acceptOp(")") {
				return p.fail()
			}
			if len(s.items) == 1 {
				s.trailing = true
			}
			return s
		case "[":
			p.pos++
			s := &seq{open: "[", close: "]"}
			for !p.acceptOp("]") {
				e := p.parseExpr()
				if e == nil {
					return p.fail()
				}
				s.items = append(s.items, e)
				if !p.acceptOp(",") && !p.isOp("]") {
					return p.fail()
				}
			}
			return s
		case "{":
			p.pos++
			d := &dict{}
			for !p.acceptOp("}") {
				k := p.parseExpr()
				if k == nil || !p.acceptOp(":") {
					return p.fail()
				}
				v := p.parseExpr()
				if v == nil {
					return p.fail()
				}
				d.keys = append(d.keys, k)
				d.vals = append(d.vals, v)
				if !p.acceptOp(",") && !p.isOp("}") {
					return p.fail()
				}
			}
			return d
		}
	}
	return nil
}

// ---- nodes and their printing in gonja's terms ----

type node interface {
	// print writes the node; simple says whether gonja can take it without parentheses
	// where it stands (the top of a tag).
	print(top bool) string
}

type (
	atom  struct{ text string }
	paren struct{ e node }
	unary struct {
		op string
		e  node
	}
	not    struct{ e node }
	binary struct {
		op   string
		l, r node
	}
	condExpr struct {
		then, cond, els node
		top             bool
	}
	filter struct {
		e    node
		name string
		args *args
	}
	test struct {
		e    node
		name string
		neg  bool
		args *args
	}
	getattr struct {
		e    node
		name string
	}
	getitem struct {
		e   node
		sub string
	}
	call struct {
		fn   node
		args *args
	}
	args struct {
		pos []node
		kw  []kwarg
	}
	kwarg struct {
		name string
		v    node
	}
	seq struct {
		open, close string
		items       []node
		trailing    bool
	}
	dict struct{ keys, vals []node }
)

func wrap(s string, top bool) string {
	if top {
		return s
	}
	return "(" + s + ")"
}

func (n *atom) print(bool) string { return n.text }

func (n *paren) print(top bool) string { return n.e.print(top) }

func (n *unary) print(top bool) string { return wrap(n.op+"("+n.e.print(true)+")", top) }

func (n *not) print(top bool) string { return wrap("not "+n.e.print(false), top) }

func (n *binary) print(top bool) string {
	switch n.op {
	case "+":
		return addFunc + "(" + n.l.print(true) + ", " + n.r.print(true) + ")"
	case "-":
		return subFunc + "(" + n.l.print(true) + ", " + n.r.print(true) + ")"
	case "%":
		return modFunc + "(" + n.l.print(true) + ", " + n.r.print(true) + ")"
	}
	return wrap(n.l.print(false)+" "+n.op+" "+n.r.print(false), top)
}

// A nested conditional is printed with and/or, which gonja evaluates lazily with Python's
// semantics (`x and y` gives x when x is false, else y): ((C and [A]) or [B])[0]. The lists keep
// a false A from falling through to B, and only the branch taken is evaluated, as in Jinja.
func (n *condExpr) print(bool) string {
	if n.top {
		return n.printTop()
	}
	els := "none"
	if n.els != nil {
		els = n.els.print(true)
	}
	return "((" + n.cond.print(false) + " and [" + n.then.print(true) + "]) or [" + els + "])[0]"
}

func (n *condExpr) printTop() string {
	s := n.then.print(false) + " if " + n.cond.print(false)
	if n.els != nil {
		s += " else " + n.els.print(false)
	}
	return s
}

func (n *filter) print(top bool) string {
	s := n.e.print(false) + "|" + n.name
	if n.args != nil {
		s += n.args.print()
	}
	return wrap(s, top)
}

func (n *test) print(top bool) string {
	s := n.e.print(false) + " is "
	if n.neg {
		s += "not "
	}
	s += n.name
	if n.args != nil {
		switch {
		case len(n.args.pos) == 1 && len(n.args.kw) == 0:
			s += " (" + n.args.pos[0].print(true) + ")"
		default:
			s += n.args.print()
		}
	}
	return wrap(s, top)
}

// postfix prints the operand of a getter or call: plain when it is a name, literal or another
// postfix chain (gonja reads `a.b(c)[d]`), in parentheses otherwise.
func postfix(e node) string {
	switch n := e.(type) {
	case *atom, *getattr, *getitem, *call, *seq, *dict:
		return e.print(true)
	case *paren:
		return postfix(n.e)
	}
	return e.print(false)
}

func (n *getattr) print(bool) string { return postfix(n.e) + "." + n.name }

func (n *getitem) print(bool) string { return postfix(n.e) + "[" + n.sub + "]" }

func (n *call) print(bool) string { return postfix(n.fn) + n.args.print() }

func (a *args) print() string {
	parts := make([]string, 0, len(a.pos)+len(a.kw))
	for _, p := range a.pos {
		parts = append(parts, p.print(true))
	}
	for _, k := range a.kw {
		parts = append(parts, k.name+"="+k.v.print(true))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func (n *seq) print(bool) string {
	parts := make([]string, len(n.items))
	for i, it := range n.items {
		parts[i] = it.print(true)
	}
	s := n.open + strings.Join(parts, ", ")
	if n.trailing {
		s += ","
	}
	return s + n.close
}

func (n *dict) print(bool) string {
	parts := make([]string, len(n.keys))
	for i := range n.keys {
		parts[i] = n.keys[i].print(true) + ": " + n.vals[i].print(true)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// expandSpread turns the spreadArgs and spreadKwargs keyword arguments a normalized call
// carries (f(a, *xs, **kw)) back into positional and keyword arguments.
func expandSpread(va *exec.VarArgs) (*exec.VarArgs, error) {
	xs, hasArgs := va.KwArgs[spreadArgs]
	kw, hasKw := va.KwArgs[spreadKwargs]
	if !hasArgs && !hasKw {
		return va, nil
	}
	out := &exec.VarArgs{Args: append([]*exec.Value(nil), va.Args...), KwArgs: map[string]*exec.Value{}}
	for k, v := range va.KwArgs {
		if k != spreadArgs && k != spreadKwargs {
			out.KwArgs[k] = v
		}
	}
	if hasArgs && !xs.IsNil() {
		if !xs.IsList() {
			return nil, fmt.Errorf("*%s: not a list", xs.String())
		}
		for i := 0; i < xs.Len(); i++ {
			out.Args = append(out.Args, xs.Index(i))
		}
	}
	if hasKw && !kw.IsNil() {
		if !kw.IsDict() {
			return nil, fmt.Errorf("**%s: not a mapping", kw.String())
		}
		var err error
		kw.Iterate(func(_, _ int, key, value *exec.Value) bool {
			if _, dup := out.KwArgs[key.String()]; dup {
				err = fmt.Errorf("got multiple values for keyword argument %q", key.String())
				return false
			}
			out.KwArgs[key.String()] = value
			return true
		}, func() {})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

var (
	varargsWord = regexp.MustCompile(`\bvarargs\b`)
	kwargsWord  = regexp.MustCompile(`\bkwargs\b`)
)

// implicitSpreads gives a macro whose body mentions varargs or kwargs the extra positional or
// keyword arguments, as Jinja2 does for such macros.
func implicitSpreads(m *nodes.Macro, body string) {
	if m == nil {
		return
	}
	if m.VarArgsName == "" && varargsWord.MatchString(body) {
		m.VarArgsName = "varargs"
	}
	if m.KwArgsName == "" && kwargsWord.MatchString(body) {
		m.KwArgsName = "kwargs"
	}
}

// Arith is a value with Python's + and - of its own: a date, a datetime, a timedelta. Add and
// Sub get the other operand and whether it stood on the left; ok is false when the pair is
// not theirs. `a + b` and `a - b` are printed as calls of addFunc and subFunc for them, since
// gonja's operators know only numbers, strings and lists.
type Arith interface {
	Add(other any, otherOnLeft bool) (result any, ok bool)
	Sub(other any, otherOnLeft bool) (result any, ok bool)
}

func arith(add bool) func(*exec.VarArgs) *exec.Value {
	return func(va *exec.VarArgs) *exec.Value {
		if len(va.Args) != 2 {
			return exec.AsValue(errors.New("an arithmetic operator needs two operands"))
		}
		l, r := va.Args[0], va.Args[1]
		if l.IsError() {
			return l
		}
		if r.IsError() {
			return r
		}
		op := func(a Arith, other any, otherOnLeft bool) (any, bool) {
			if add {
				return a.Add(other, otherOnLeft)
			}
			return a.Sub(other, otherOnLeft)
		}
		if a, ok := l.Interface().(Arith); ok {
			if out, ok := op(a, r.Interface(), false); ok {
				return exec.AsValue(out)
			}
		}
		if a, ok := r.Interface().(Arith); ok {
			if out, ok := op(a, l.Interface(), true); ok {
				return exec.AsValue(out)
			}
		}
		if _, ok := l.Interface().(Arith); ok {
			return exec.AsValue(fmt.Errorf("unsupported operand types: %s and %s", l.String(), r.String()))
		}
		if _, ok := r.Interface().(Arith); ok {
			return exec.AsValue(fmt.Errorf("unsupported operand types: %s and %s", l.String(), r.String()))
		}
		// gonja's own + and -, as its evaluator has them.
		if add {
			switch {
			case l.IsList() && r.IsList():
				out := make([]any, 0, l.Len()+r.Len())
				for i := 0; i < l.Len(); i++ {
					out = append(out, l.Index(i).Interface())
				}
				for i := 0; i < r.Len(); i++ {
					out = append(out, r.Index(i).Interface())
				}
				return exec.AsValue(out)
			case l.IsList():
				return exec.AsValue(fmt.Errorf("unable to concatenate a list to %s", r.String()))
			case l.IsFloat() || r.IsFloat():
				return exec.AsValue(l.Float() + r.Float())
			case l.IsString() || r.IsString():
				return exec.AsValue(l.String() + r.String())
			}
			return exec.AsValue(l.Integer() + r.Integer())
		}
		if l.IsFloat() || r.IsFloat() {
			return exec.AsValue(l.Float() - r.Float())
		}
		return exec.AsValue(l.Integer() - r.Integer())
	}
}
