package jinja

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// gonja runs a dict's methods on a copy of it, so {% do d.update({...}) %}, d.setdefault,
// d.pop and d.clear changed nothing — and dbt packages build their results that way. These
// methods change a dict the template wrote ({}) itself.

func methods() exec.Methods {
	m := builtins.Methods
	names := []string{"keys", "values", "items", "get", "copy"}
	set := map[string]exec.Method[map[string]any]{}
	for _, name := range names {
		if f, ok := builtins.Methods.Dict.Get(name); ok {
			set[name] = f
		}
	}
	set["update"] = dictUpdate
	set["setdefault"] = dictSetdefault
	set["pop"] = dictPop
	set["clear"] = dictClear
	m.Dict = exec.NewMethodSet(set)
	strs := map[string]exec.Method[string]{}
	for _, name := range strMethodNames {
		if f, ok := builtins.Methods.Str.Get(name); ok {
			strs[name] = plainStrings(f)
		}
	}
	m.Str = exec.NewMethodSet(strs)
	lists := map[string]exec.Method[[]any]{}
	for _, name := range []string{"append", "reverse", "copy"} {
		if f, ok := builtins.Methods.List.Get(name); ok {
			lists[name] = f
		}
	}
	lists["index"] = listIndex
	lists["count"] = listCount
	m.List = exec.NewMethodSet(lists)
	return m
}

// listIndex is list.index(x): the position of the first item equal to x, an error if none.
func listIndex(self []any, _ *exec.Value, args *exec.VarArgs) (any, error) {
	if len(args.Args) != 1 {
		return nil, errors.New("index() takes exactly one argument")
	}
	for i, item := range self {
		if exec.AsValue(item).EqualValueTo(args.Args[0]) {
			return i, nil
		}
	}
	return nil, fmt.Errorf("%s is not in list", args.Args[0].String())
}

// listCount is list.count(x).
func listCount(self []any, _ *exec.Value, args *exec.VarArgs) (any, error) {
	if len(args.Args) != 1 {
		return nil, errors.New("count() takes exactly one argument")
	}
	n := 0
	for _, item := range self {
		if exec.AsValue(item).EqualValueTo(args.Args[0]) {
			n++
		}
	}
	return n, nil
}

// strMethodNames are Python's str methods gonja implements.
var strMethodNames = []string{"capitalize", "capwords", "casefold", "center", "count", "endswith",
	"expandtabs", "find", "format", "index", "isalnum", "isalpha", "isascii", "isdecimal",
	"isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace", "istitle",
	"isupper", "join", "ljust", "lower", "lstrip", "partition", "removeprefix", "removesuffix",
	"replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split",
	"splitlines", "startswith", "strip", "swapcase", "title", "upper", "zfill"}

// plainStrings makes a str method give plain strings: gonja's give its own string type, which
// compares unequal to a string ('Name'.lower() == 'name' was false, and so was `in`).
func plainStrings(f exec.Method[string]) exec.Method[string] {
	return func(self string, v *exec.Value, args *exec.VarArgs) (any, error) {
		out, err := f(self, v, args)
		if err != nil || out == nil {
			return out, err
		}
		return plain(reflect.ValueOf(out)), nil
	}
}

func plain(rv reflect.Value) any {
	switch rv.Kind() {
	case reflect.String:
		return rv.String()
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.String || rv.Type().Elem().Kind() == reflect.Interface {
			items := make([]any, rv.Len())
			for i := range items {
				items[i] = plain(reflect.ValueOf(rv.Index(i).Interface()))
			}
			return items
		}
	}
	if !rv.IsValid() {
		return nil
	}
	return rv.Interface()
}

// target is the dict a method was called on: a dict the template wrote. A dict the engine
// gave (a var, the graph) may be shared by concurrent renders and is never changed in place;
// {% do name.update(…) %} rebinds a changed copy of it instead (do.go).
func target(v *exec.Value) (*exec.Dict, error) {
	if d, ok := v.Interface().(*exec.Dict); ok {
		return d, nil
	}
	return nil, fmt.Errorf("this dict cannot be changed in place; copy it first ({%% set d = dict(x) %%}) or use {%% do name.update(…) %%}: %s", v.String())
}

func dictSet(d *exec.Dict, key string, val any) {
	for _, p := range d.Pairs {
		if p.Key.String() == key {
			p.Value = exec.AsValue(val)
			return
		}
	}
	d.Pairs = append(d.Pairs, &exec.Pair{Key: exec.AsValue(key), Value: exec.AsValue(val)})
}

func dictUpdate(self map[string]any, v *exec.Value, args *exec.VarArgs) (any, error) {
	if len(args.Args) > 1 {
		return nil, exec.ErrInvalidCall(errors.New("update() takes at most 1 positional argument"))
	}
	d, err := target(v)
	if err != nil {
		return nil, err
	}
	if len(args.Args) == 1 && !args.Args[0].IsNil() {
		if !args.Args[0].IsDict() {
			return nil, exec.ErrInvalidCall(fmt.Errorf("update() needs a dict, not %s", args.Args[0].String()))
		}
		var pairs [][2]any
		args.Args[0].Iterate(func(_, _ int, k, val *exec.Value) bool {
			pairs = append(pairs, [2]any{k.String(), val.Interface()})
			return true
		}, func() {})
		for _, p := range pairs {
			dictSet(d, p[0].(string), p[1])
		}
	}
	for k, val := range args.KwArgs {
		dictSet(d, k, val.Interface())
	}
	return nil, nil
}

func dictSetdefault(self map[string]any, v *exec.Value, args *exec.VarArgs) (any, error) {
	if len(args.Args) < 1 || len(args.Args) > 2 {
		return nil, exec.ErrInvalidCall(errors.New("setdefault() takes 1 or 2 positional arguments"))
	}
	key := args.Args[0].String()
	if val, ok := self[key]; ok {
		return val, nil
	}
	var def any
	if len(args.Args) == 2 {
		def = args.Args[1].Interface()
	}
	d, err := target(v)
	if err != nil {
		return nil, err
	}
	dictSet(d, key, def)
	return def, nil
}

func dictPop(self map[string]any, v *exec.Value, args *exec.VarArgs) (any, error) {
	if len(args.Args) < 1 || len(args.Args) > 2 {
		return nil, exec.ErrInvalidCall(errors.New("pop() takes 1 or 2 positional arguments"))
	}
	key := args.Args[0].String()
	val, ok := self[key]
	if !ok {
		if len(args.Args) == 2 {
			return args.Args[1].Interface(), nil
		}
		return nil, fmt.Errorf("pop(): no key '%s'", key)
	}
	d, err := target(v)
	if err != nil {
		return nil, err
	}
	for i, p := range d.Pairs {
		if p.Key.String() == key {
			d.Pairs = append(d.Pairs[:i], d.Pairs[i+1:]...)
			break
		}
	}
	return val, nil
}

func dictClear(_ map[string]any, v *exec.Value, args *exec.VarArgs) (any, error) {
	if len(args.Args) > 0 {
		return nil, exec.ErrInvalidCall(errors.New("clear() takes no arguments"))
	}
	d, err := target(v)
	if err != nil {
		return nil, err
	}
	d.Pairs = nil
	return nil, nil
}
