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
