package jinja

import (
	"regexp"
)

var (
	setTag = regexp.MustCompile(`\{%-?\s*set\s+[A-Za-z_][A-Za-z0-9_]*\s*=((?:[^%'"]|'[^']*'|"[^"]*"|%[^}])*?)-?%\}`)
	quoted = regexp.MustCompile(`'[^']*'|"[^"]*"`)
	ifWord = regexp.MustCompile(`\bif\b`)
	elseW  = regexp.MustCompile(`\belse\b`)
)

// completeInlineIfs gives `{% set x = a if b %}` the `else none` Jinja implies and gonja
// requires (dbt_utils.get_column_values writes `{% set default = [] if not default %}`).
func completeInlineIfs(src string) string {
	return setTag.ReplaceAllStringFunc(src, func(tag string) string {
		m := setTag.FindStringSubmatchIndex(tag)
		expr := tag[m[2]:m[3]]
		bare := quoted.ReplaceAllString(expr, "''")
		if !ifWord.MatchString(bare) || elseW.MatchString(bare) {
			return tag
		}
		return tag[:m[3]] + " else none" + tag[m[3]:]
	})
}
