package project

import (
	"crypto/md5" //nolint:gosec // naming only, as dbt names its tests
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// How dbt names a generic test (dbt-core, parser/generic_test_builders.py and
// parser/schema_generic_tests.py), written again here:
//
//   - the test's type is its name, "source_" before it when it tests a source, and its
//     namespace before that: dbt_utils_source_expression_is_true;
//   - the target is the model (orders, orders_v2 for a version) or the source's table
//     (<source>_<table>);
//   - the arguments — column_name among them, "model" left out — are taken in sorted key
//     order, a list or a map flattened to its elements (a map's values, in the order they
//     were written), each written as Python's str() writes it, every run of characters
//     outside [0-9a-zA-Z_] made one "_", and joined with "__";
//   - the full name is type_target_arguments: the node's name, in its unique id and fqn.
//     When it is 64 characters or more, the short name — the compiled file's and the
//     relation's (alias) — is the first 30 characters of type_target, "_", and the md5 of
//     the full name; otherwise it is the full name;
//   - the unique id is test.<package>.<full name>.<hash>, the hash the last 10 hex digits
//     of the md5 of the name followed by the repr() of the test's metadata
//     ({'kwargs': …, 'name': …, 'namespace': …}, keys sorted, every leaf made a string).

// testArgs are the arguments dbt names and hashes a test by: its macro's (values as decoded,
// and the YAML node of each map or list, where their order lives), its column_name (over an
// argument of that name) when it has one, and its model.
type testArgs struct {
	vals   map[string]any
	nodes  map[string]*yaml.Node
	column string
	model  string
}

// keys are the arguments' names, sorted; model among them only when withModel.
func (a testArgs) keys(withModel bool) []string {
	keys := make([]string, 0, len(a.vals)+2)
	for k := range a.vals {
		if k != "model" && (k != "column_name" || a.column == "") {
			keys = append(keys, k)
		}
	}
	if a.column != "" {
		keys = append(keys, "column_name")
	}
	if withModel {
		keys = append(keys, "model")
	}
	sort.Strings(keys)
	return keys
}

// get is an argument's value and YAML node.
func (a testArgs) get(k string) (any, *yaml.Node) {
	switch {
	case k == "model":
		return a.model, nil
	case k == "column_name" && a.column != "":
		return a.column, nil
	}
	return a.vals[k], a.nodes[k]
}

// synthesizeTestNames is dbt's pair of names for a generic test: short (the compiled file
// and the alias) and full (the node's name).
func synthesizeTestNames(testType, target string, args testArgs) (short, full string) {
	var b strings.Builder
	b.Grow(len(testType) + len(target) + 64)
	b.WriteString(testType)
	b.WriteByte('_')
	b.WriteString(target)
	identifier := b.String()
	b.WriteByte('_')
	first := true
	for _, k := range args.keys(false) {
		v, n := args.get(k)
		flattenArg(v, n, func(part string) {
			if !first {
				b.WriteString("__")
			}
			first = false
			writeClean(&b, part)
		})
	}
	full = b.String()
	if utf8.RuneCountInString(full) < 64 {
		return full, full
	}
	sum := md5.Sum([]byte(full)) //nolint:gosec // naming only
	return firstRunes(identifier, 30) + "_" + hex.EncodeToString(sum[:]), full
}

// flattenArg calls emit with the str() of each part of one argument: a list's elements, a
// map's values, else the value itself.
func flattenArg(v any, n *yaml.Node, emit func(string)) {
	n = deref(n)
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			emit(pyStr(e, child(n, i)))
		}
	case map[string]any:
		for _, k := range mapKeys(x, n) {
			emit(pyStr(x[k], mapValueNode(n, k)))
		}
	default:
		emit(pyStr(v, n))
	}
}

// testHash is the suffix of a generic test's unique id: the last 10 hex digits of the md5
// of its name and the repr() of its metadata.
func testHash(name, testName, namespace string, args testArgs) string {
	var b strings.Builder
	b.Grow(2*len(name) + 128)
	b.WriteString(name)
	b.WriteString("{'kwargs': {")
	for i, k := range args.keys(true) {
		if i > 0 {
			b.WriteString(", ")
		}
		v, _ := args.get(k)
		writeQuoted(&b, k)
		b.WriteString(": ")
		hashableRepr(&b, v)
	}
	b.WriteString("}, 'name': ")
	b.WriteString(pyQuote(testName))
	b.WriteString(", 'namespace': ")
	if namespace == "" {
		// str(None), a string like every leaf.
		b.WriteString("'None'")
	} else {
		b.WriteString(pyQuote(namespace))
	}
	b.WriteByte('}')
	sum := md5.Sum([]byte(b.String())) //nolint:gosec // naming only
	h := hex.EncodeToString(sum[:])
	return h[len(h)-10:]
}

// hashableRepr writes the repr() of a value whose maps have sorted keys and whose leaves
// are all made strings with str().
func hashableRepr(b *strings.Builder, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeQuoted(b, k)
			b.WriteString(": ")
			hashableRepr(b, x[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			hashableRepr(b, e)
		}
		b.WriteByte(']')
	default:
		writeQuoted(b, pyStr(v, nil))
	}
}

// pyStr is Python's str() of a value read from YAML: a string is itself, anything else its
// repr().
func pyStr(v any, n *yaml.Node) string {
	if s, ok := v.(string); ok {
		return s
	}
	if t, ok := v.(time.Time); ok {
		// A date is a datetime.date in Python, a timestamp a datetime.
		if isDate(t, n) {
			return t.Format("2006-01-02")
		}
		return t.Format("2006-01-02 15:04:05")
	}
	return pyRepr(v, n)
}

// pyRepr is Python's repr() of a value read from YAML.
func pyRepr(v any, n *yaml.Node) string {
	n = deref(n)
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return pyQuote(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return pyFloat(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e, child(n, i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := mapKeys(x, n)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyQuote(k) + ": " + pyRepr(x[k], mapValueNode(n, k))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case time.Time:
		if isDate(x, n) {
			return "datetime.date(" + strconv.Itoa(x.Year()) + ", " + strconv.Itoa(int(x.Month())) + ", " + strconv.Itoa(x.Day()) + ")"
		}
		return pyQuote(pyStr(x, n))
	}
	// A type YAML decoding does not produce: written as Go writes it.
	return fmt.Sprint(v)
}

// pyFloat is Python's repr() of a float: the shortest digits that read back, in positional
// notation from 1e-4 up to 1e16, with ".0" when integral.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	if exp < -4 || exp >= 16 {
		return e
	}
	sign := ""
	if strings.HasPrefix(mant, "-") {
		sign, mant = "-", mant[1:]
	}
	digits := strings.Replace(mant, ".", "", 1)
	if exp >= 0 {
		if len(digits) <= exp+1 {
			return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
		}
		return sign + digits[:exp+1] + "." + digits[exp+1:]
	}
	return sign + "0." + strings.Repeat("0", -exp-1) + digits
}

// pyQuote is Python's repr() of a string.
func pyQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	writeQuoted(&b, s)
	return b.String()
}

// writeQuoted writes Python's repr() of a string.
func writeQuoted(b *strings.Builder, s string) {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteByte(q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(hex2(int(r)))
		case r < 0x80 || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			b.WriteString(`\x` + hex2(int(r)))
		case r <= 0xffff:
			b.WriteString(`\u` + strconv.FormatInt(int64(r)|0x10000, 16)[1:])
		default:
			b.WriteString(`\U` + strconv.FormatInt(int64(r)|0x100000000, 16)[1:])
		}
	}
	b.WriteByte(q)
}

// isDate tells a YAML date (2020-01-01) from a timestamp, by its text when there is one.
func isDate(t time.Time, n *yaml.Node) bool {
	if n = deref(n); n != nil {
		return len(n.Value) == len("2006-01-02")
	}
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

func hex2(c int) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

// writeClean writes s with every run of characters outside [0-9a-zA-Z_] made one "_".
func writeClean(b *strings.Builder, s string) {
	run := false
	for i := 0; i < len(s); {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
			run = false
			i++
			continue
		}
		if !run {
			b.WriteByte('_')
			run = true
		}
		if c < utf8.RuneSelf {
			i++
		} else {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
	}
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// child is the i-th element of a sequence node, nil when there is none.
func child(n *yaml.Node, i int) *yaml.Node {
	if n = deref(n); n == nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
		return nil
	}
	return n.Content[i]
}

// mapValueNode is the value node of key k of a mapping node, nil when there is none.
func mapValueNode(n *yaml.Node, k string) *yaml.Node {
	if n = deref(n); n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return n.Content[i+1]
		}
	}
	return nil
}

// mapKeys is a map's keys in the order its YAML node wrote them (Python keeps a dict's
// insertion order); without the node, sorted.
func mapKeys(m map[string]any, n *yaml.Node) []string {
	keys := make([]string, 0, len(m))
	if n = deref(n); n != nil && n.Kind == yaml.MappingNode {
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, ok := m[k]; ok && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		if len(keys) == len(m) {
			return keys
		}
		keys = keys[:0]
	}
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
