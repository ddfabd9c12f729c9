package jinja

import (
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// OverridesGlobal is the key of Render's globals under which a map of macro name to value
// replaces macros for one render, as a dbt unit test's overrides: macros: does. A plain name
// replaces the macro or global of that name; "ns.name" replaces one member of a namespace
// (dbt_utils.current_timestamp). Each replaced macro, when called, gives its value.
const OverridesGlobal = "\x00macro_overrides"

func applyOverrides(gctx *exec.Context, globals map[string]any) {
	ov, ok := globals[OverridesGlobal].(map[string]any)
	if !ok {
		return
	}
	for name, val := range ov {
		fn := func(*exec.VarArgs) *exec.Value { return exec.AsValue(val) }
		ns, member, dotted := strings.Cut(name, ".")
		if !dotted {
			gctx.Set(name, fn)
			continue
		}
		merged := Namespace{}
		if existing, ok := lookupNamespace(gctx, ns); ok {
			for k, v := range existing {
				merged[k] = v
			}
		}
		merged[member] = fn
		gctx.Set(ns, merged)
	}
}
