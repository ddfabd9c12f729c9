package jinja

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// doStatement replaces gonja's {% do %}. gonja evaluates xs.append(x) on a copy and stores the
// result in the innermost scope, so inside a {% for %} the change is lost when the loop ends;
// dbt code appends in loops all the time. Here list and dict mutations write back to the scope
// that defines the variable.
type doStatement struct {
	location *tokens.Token
	expr     nodes.Expression
}

func (d *doStatement) Position() *tokens.Token { return d.location }
func (d *doStatement) String() string {
	return fmt.Sprintf("do(Line=%d Col=%d)", d.location.Line, d.location.Col)
}

func (d *doStatement) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	if call, ok := d.expr.(*nodes.Call); ok {
		if attr, ok := call.Func.(*nodes.GetAttribute); ok {
			if name, ok := attr.Node.(*nodes.Name); ok {
				if handled, err := mutate(r, name.Name.Val, attr.Attribute, call.Args); handled {
					return err
				}
			}
		}
	}
	v := r.Eval(d.expr)
	if v.IsError() {
		return v
	}
	return nil
}

// mutate applies a list or dict method to the named variable in its defining scope.
func mutate(r *exec.Renderer, name, method string, argNodes []nodes.Expression) (bool, error) {
	cur, ok := r.Environment.Context.Get(name)
	if !ok {
		return false, nil
	}
	args := make([]any, 0, len(argNodes))
	for _, a := range argNodes {
		v := r.Eval(a)
		if v.IsError() {
			return true, v
		}
		args = append(args, v.Interface())
	}
	var next any
	if vl, ok := cur.(exec.ValuesList); ok {
		plain := make([]any, len(vl))
		for i, v := range vl {
			plain[i] = v.Interface()
		}
		cur = plain
	}
	switch list := cur.(type) {
	case []any:
		switch {
		case method == "append" && len(args) == 1:
			next = append(append([]any{}, list...), args[0])
		case method == "extend" && len(args) == 1:
			more := exec.AsValue(args[0])
			out := append([]any{}, list...)
			more.Iterate(func(_, _ int, k, _ *exec.Value) bool { out = append(out, k.Interface()); return true }, func() {})
			next = out
		case method == "insert" && len(args) == 2:
			i := exec.AsValue(args[0]).Integer()
			if i < 0 || i > len(list) {
				i = len(list)
			}
			out := append([]any{}, list[:i]...)
			out = append(out, args[1])
			out = append(out, list[i:]...)
			next = out
		default:
			return false, nil
		}
	case map[string]any:
		// A Go map may be shared with other renders (a var, the graph): it is copied, changed
		// and bound again, never changed in place. A dict written in the template ({}) is the
		// render's own and its methods change it in place (dict_methods.go).
		out := map[string]any{}
		for k, v := range list {
			out[k] = v
		}
		switch {
		case method == "update" && len(args) == 1:
			exec.AsValue(args[0]).Iterate(func(_, _ int, k, v *exec.Value) bool {
				out[k.String()] = v.Interface()
				return true
			}, func() {})
		case method == "pop" && len(args) >= 1:
			delete(out, exec.AsValue(args[0]).String())
		case method == "clear" && len(args) == 0:
			out = map[string]any{}
		default:
			return false, nil
		}
		next = out
	default:
		return false, nil
	}
	definingScope(r.Environment.Context, name).Set(name, next)
	return true, nil
}

// definingScope walks gonja's scope chain to the context that holds name. gonja keeps the
// chain unexported; the fields read here are pinned by the module version and covered by
// TestDo_AppendInsideLoopKeepsItems.
func definingScope(ctx *exec.Context, name string) *exec.Context {
	for c := ctx; c != nil; {
		v := reflect.ValueOf(c).Elem()
		if v.FieldByName("data").MapIndex(reflect.ValueOf(name)).IsValid() {
			return c
		}
		p := v.FieldByName("parent")
		if p.IsNil() {
			break
		}
		c = (*exec.Context)(unsafe.Pointer(p.Pointer())) //nolint:gosec // see the comment above
	}
	return ctx
}

func doParser(_ *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	d := &doStatement{location: args.Current()}
	expr, err := args.ParseExpression()
	if err != nil {
		return nil, err
	}
	d.expr = expr
	if !args.End() {
		return nil, args.Error("Malformed do-tag args.", args.Current())
	}
	return d, nil
}
