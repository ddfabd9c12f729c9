package jinja

import (
	"strings"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// jinjaTests are the names of gonja's built-in tests ("x is none", "x is sameas true"…).
var jinjaTests = []string{"boolean", "callable", "defined", "divisibleby", "eq", "equalto", "==",
	"escaped", "even", "false", "filter", "float", "ge", ">=", "gt", "greaterthan", ">", "in",
	"integer", "iterable", "le", "<=", "lower", "lt", "lessthan", "<", "mapping", "ne", "!=",
	"none", "number", "odd", "sameas", "sequence", "string", "test", "true", "undefined", "upper"}

// strictTests are gonja's tests that fail when the value tested is an error. gonja hands a
// test the error of its operand as a value, so `{% if no_such_macro() is none %}` was
// silently false (and `is not none` true); Jinja raises, and so must we, naming the call.
// defined and undefined still answer for an undefined name, which is what they are for.
func strictTests() *exec.TestSet {
	set := exec.NewTestSet(map[string]exec.TestFunction{}).Update(builtins.Tests)
	for _, name := range jinjaTests {
		fn, ok := set.Get(name)
		if !ok {
			continue
		}
		call := testCaller(fn)
		if call == nil {
			continue
		}
		lenient := name == "defined" || name == "undefined"
		_ = set.Replace(name, func(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) (bool, error) {
			if in.IsError() && (!lenient || strings.Contains(in.Error(), "is not callable")) {
				return false, in
			}
			return call(e, in, params)
		})
	}
	// dbt's relations are mappings (dbt_utils checks `obj is mapping` before using one); a
	// Go value says it is one with IsMapping.
	_ = set.Replace("mapping", func(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) (bool, error) {
		if in.IsError() {
			return false, in
		}
		if m, ok := in.Interface().(interface{ IsMapping() bool }); ok {
			return m.IsMapping(), nil
		}
		return in.IsDict(), nil
	})
	return set
}

type testFunc = func(*exec.Evaluator, *exec.Value, *exec.VarArgs) (bool, error)

// testCaller adapts both signatures gonja accepts for a test.
func testCaller(fn exec.TestFunction) testFunc {
	switch f := fn.(type) {
	case func(*exec.Evaluator, *exec.Value, *exec.VarArgs) (bool, error):
		return f
	case func(*exec.Context, *exec.Value, *exec.VarArgs) (bool, error):
		return func(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) (bool, error) {
			return f(e.Environment.Context, in, params)
		}
	}
	return nil
}
