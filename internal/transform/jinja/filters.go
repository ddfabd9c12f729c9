package jinja

import (
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// dbtFilters are filters dbt adds to Jinja's.
var dbtFilters = map[string]exec.FilterFunction{
	"as_bool": func(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
		if in.IsString() {
			return exec.AsValue(strings.EqualFold(strings.TrimSpace(in.String()), "true"))
		}
		return exec.AsValue(in.IsTrue())
	},
	"as_number": func(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
		if in.IsNumber() {
			return in
		}
		s := strings.TrimSpace(in.String())
		if i, err := strconv.Atoi(s); err == nil {
			return exec.AsValue(i)
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return exec.AsValue(err)
		}
		return exec.AsValue(f)
	},
	"as_text": func(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
		return exec.AsValue(in.String())
	},
	"as_native": func(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value { return in },
}

// stringFilters are the filters that read their input as a string.
var stringFilters = []string{"trim", "lower", "upper", "capitalize", "title", "replace", "center",
	"truncate", "wordcount", "striptags", "urlencode", "indent", "wordwrap"}

// pyStrInput gives a string filter Python's str() of a value that is not a string (True,
// False, None, numbers, lists), as Jinja does; gonja refuses such input.
func pyStrInput(f exec.FilterFunction) exec.FilterFunction {
	return func(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		if !in.IsString() && !in.IsError() {
			in = exec.AsValue(pyStr(in))
		}
		return f(e, in, params)
	}
}

// pyStr is Python's str() of a value.
func pyStr(v *exec.Value) string {
	switch {
	case v.IsNil():
		return "None"
	case v.IsBool():
		if v.Bool() {
			return "True"
		}
		return "False"
	}
	return v.String()
}
