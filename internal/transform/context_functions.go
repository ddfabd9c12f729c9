package transform

import (
	"context"
	"crypto/md5" //nolint:gosec // local_md5 is dbt's checksum helper, not a security boundary
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"go.yaml.in/yaml/v3"

	"github.com/datanika/datanika/internal/transform/dialect"
	"github.com/datanika/datanika/internal/transform/jinja"
)

// This file holds the rest of dbt's context that packages call: flags (with the running
// command as WHICH), invocation_id as dbt makes it (a UUID), the context functions tojson,
// fromjson, toyaml, fromyaml, zip, set, set_strict and local_md5, adapter.type(), and the
// column objects of adapter.get_columns_in_relation.

// newInvocationID is a random (version 4) UUID, as dbt's invocation_id is.
func newInvocationID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// flags is dbt's flags: FULL_REFRESH, WHICH (the command being run) and the usual others.
// It is built once per command and shared by the renders, which only read it.
func (e *Engine) flags() jinja.Namespace {
	which := "run"
	if w := e.which.Load(); w != nil {
		which = *w
	}
	if f := e.flagsNS.Load(); f != nil && f.which == which {
		return f.ns
	}
	ns := jinja.Namespace{"FULL_REFRESH": e.opts.FullRefresh, "WHICH": which, "STORE_FAILURES": false,
		"DEBUG": false, "FAIL_FAST": false, "WARN_ERROR": false, "USE_COLORS": false, "EMPTY": false,
		"INTROSPECT": true, "STATE_MODIFIED_COMPARE_MORE_UNRENDERED_VALUES": false}
	e.flagsNS.Store(&flagsFor{which: which, ns: ns})
	return ns
}

type flagsFor struct {
	which string
	ns    jinja.Namespace
}

// contextFunctions are dbt's pure context functions.
func contextFunctions() map[string]any {
	return map[string]any{
		"tojson": func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) == 0 {
				return exec.AsValue(errors.New("tojson needs a value"))
			}
			b, err := json.Marshal(plain(va.Args[0]))
			if err != nil {
				return exec.AsValue(fmt.Errorf("tojson: %w", err))
			}
			return exec.AsValue(string(b))
		},
		"fromjson": func(va *exec.VarArgs) *exec.Value {
			dec := json.NewDecoder(strings.NewReader(argString(va)))
			dec.UseNumber()
			var out any
			if err := dec.Decode(&out); err != nil {
				if len(va.Args) > 1 {
					return va.Args[1]
				}
				return exec.AsValue(fmt.Errorf("fromjson: %w", err))
			}
			return exec.AsValue(jsonNumbers(out))
		},
		"toyaml": func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) == 0 {
				return exec.AsValue(errors.New("toyaml needs a value"))
			}
			b, err := yaml.Marshal(plain(va.Args[0]))
			if err != nil {
				return exec.AsValue(fmt.Errorf("toyaml: %w", err))
			}
			return exec.AsValue(string(b))
		},
		"fromyaml": func(va *exec.VarArgs) *exec.Value {
			var out any
			if err := yaml.Unmarshal([]byte(argString(va)), &out); err != nil {
				if len(va.Args) > 1 {
					return va.Args[1]
				}
				return exec.AsValue(fmt.Errorf("fromyaml: %w", err))
			}
			return exec.AsValue(out)
		},
		"zip":        zipFunc(false),
		"zip_strict": zipFunc(true),
		"set":        setFunc(false),
		"set_strict": setFunc(true),
		"local_md5": func(va *exec.VarArgs) *exec.Value {
			sum := md5.Sum([]byte(argString(va))) //nolint:gosec // see the import
			return exec.AsValue(hex.EncodeToString(sum[:]))
		},
	}
}

// jsonNumbers makes JSON's numbers Python's: integers stay integers.
func jsonNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = jsonNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = jsonNumbers(x[k])
		}
	}
	return v
}

// plain turns a Jinja value into Go values JSON and YAML can write.
func plain(v *exec.Value) any {
	switch {
	case v.IsNil():
		return nil
	case v.IsDict():
		out := map[string]any{}
		v.Iterate(func(_, _ int, k, val *exec.Value) bool {
			out[k.String()] = plain(val)
			return true
		}, func() {})
		return out
	case v.IsList():
		out := []any{}
		v.Iterate(func(_, _ int, k, _ *exec.Value) bool {
			out = append(out, plain(k))
			return true
		}, func() {})
		return out
	case v.IsBool():
		return v.Bool()
	case v.IsInteger():
		return v.Integer()
	case v.IsFloat():
		return v.Float()
	}
	return v.String()
}

// zipFunc is zip(*iterables): a list of lists, as long as the shortest; the default (none, or
// the strict variant's error) when an argument is not iterable.
func zipFunc(strict bool) jinja.Func {
	return func(va *exec.VarArgs) *exec.Value {
		var lists [][]any
		for _, a := range va.Args {
			if !a.IsList() && !a.IsString() && !a.IsDict() {
				if strict {
					return exec.AsValue(fmt.Errorf("zip_strict: %s is not iterable", a.String()))
				}
				if d, ok := va.KwArgs["default"]; ok {
					return d
				}
				return exec.AsValue(nil)
			}
			lists = append(lists, seq(a))
		}
		out := []any{}
		if len(lists) == 0 {
			return exec.AsValue(out)
		}
		n := len(lists[0])
		for _, l := range lists {
			n = min(n, len(l))
		}
		for i := range n {
			row := make([]any, len(lists))
			for j, l := range lists {
				row[j] = l[i]
			}
			out = append(out, row)
		}
		return exec.AsValue(out)
	}
}

// setFunc is set(iterable): its distinct items, in a fixed order (a list; Jinja has no sets).
func setFunc(strict bool) jinja.Func {
	return func(va *exec.VarArgs) *exec.Value {
		if len(va.Args) == 0 || (!va.Args[0].IsList() && !va.Args[0].IsString() && !va.Args[0].IsDict()) {
			if strict {
				return exec.AsValue(errors.New("set_strict needs an iterable"))
			}
			if d, ok := va.KwArgs["default"]; ok {
				return d
			}
			return exec.AsValue(nil)
		}
		seen := map[string]bool{}
		out, keys := []any{}, map[int]string{}
		for _, item := range seq(va.Args[0]) {
			k := fmt.Sprintf("%T:%v", item, item)
			if !seen[k] {
				seen[k] = true
				keys[len(out)] = k
				out = append(out, item)
			}
		}
		// A Python set has no order and two sets with the same items are equal; sorted, two
		// of ours compare equal as lists (dbt_utils.equality compares column sets with !=).
		idx := make([]int, len(out))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
		sorted := make([]any, len(out))
		for i, j := range idx {
			sorted[i] = out[j]
		}
		return exec.AsValue(sorted)
	}
}

// columnObject is one column as adapter.get_columns_in_relation gives it, with the attributes
// and methods of dbt's Column.
func columnObject(d *dialect.Dialect, c dialect.Column) jinja.Namespace {
	t := strings.ToLower(c.Type)
	has := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(t, p) {
				return true
			}
		}
		return false
	}
	isString := has("char", "varchar", "character", "text", "string", "tinytext", "mediumtext", "longtext")
	isInteger := has("int", "integer", "bigint", "smallint", "tinyint", "mediumint", "serial", "bigserial")
	isFloat := has("float", "double", "real")
	isNumeric := has("numeric", "decimal")
	fn := func(v bool) jinja.Func { return func(*exec.VarArgs) *exec.Value { return exec.AsValue(v) } }
	// The size and precision in the type's parentheses: varchar(50), numeric(10,2).
	var size, precision, scale any
	if m := typeArgs.FindStringSubmatch(t); m != nil {
		first, _ := strconv.Atoi(m[1])
		switch {
		case isString:
			size = first
		case isNumeric:
			precision = first
			if m[2] != "" {
				scale, _ = strconv.Atoi(m[2])
			}
		}
	}
	// dbt's Column.string_size(): the char size, 256 for an unbounded text column.
	stringSize := func(*exec.VarArgs) *exec.Value {
		if !isString {
			return exec.AsValue(fmt.Errorf("string_size() called on a non-string column %s (%s)", c.Name, c.Type))
		}
		if size == nil {
			return exec.AsValue(256)
		}
		return exec.AsValue(size)
	}
	return jinja.Namespace{"name": c.Name, "column": c.Name, "data_type": c.Type, "dtype": c.Type,
		"quoted": d.Quote(c.Name), "is_string": fn(isString), "is_integer": fn(isInteger),
		"is_float": fn(isFloat), "is_numeric": fn(isNumeric), "is_number": fn(isInteger || isFloat || isNumeric),
		"char_size": size, "numeric_precision": precision, "numeric_scale": scale, "string_size": stringSize}
}

var typeArgs = regexp.MustCompile(`\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)`)

// columnsIn is adapter.get_columns_in_relation(relation) on a catalog.
func (e *Engine) columnsIn(ctx context.Context, cat Catalog) jinja.Func {
	return func(va *exec.VarArgs) *exec.Value {
		rel, ok := firstRelation(va)
		if !ok {
			if len(va.Args) == 0 {
				return exec.AsValue(errors.New("adapter.get_columns_in_relation needs a relation"))
			}
			return exec.AsValue([]any{})
		}
		cols, err := cat.Columns(ctx, rel.Schema, rel.Identifier)
		if err != nil {
			return exec.AsValue(err)
		}
		out := make([]any, len(cols))
		for i, c := range cols {
			out[i] = columnObject(e.d, c)
		}
		return exec.AsValue(out)
	}
}
