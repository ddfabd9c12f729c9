package deps

import (
	"fmt"
	"strings"

	"golang.org/x/mod/semver"
)

// constraint is one of dbt's version specifiers: ">=1.0.0", "<2.0.0", "1.1.1", "=1.1.1".
type constraint struct {
	op      string
	version string // canonical semver with a leading v
}

var ops = []string{">=", "<=", "==", ">", "<", "="}

func parseConstraint(s string) (constraint, error) {
	s = strings.TrimSpace(s)
	op := "="
	for _, o := range ops {
		if rest, ok := strings.CutPrefix(s, o); ok {
			op, s = o, strings.TrimSpace(rest)
			break
		}
	}
	if op == "==" {
		op = "="
	}
	v := "v" + strings.TrimPrefix(s, "v")
	if !semver.IsValid(v) {
		return constraint{}, fmt.Errorf("%q is not a version (write 1.2.3, >=1.0.0, <2.0.0…)", s)
	}
	return constraint{op: op, version: semver.Canonical(v)}, nil
}

func (c constraint) allows(v string) bool {
	cmp := semver.Compare(v, c.version)
	switch c.op {
	case ">=":
		return cmp >= 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case "<":
		return cmp < 0
	}
	return cmp == 0
}

// pickVersion is the highest of available (as the hub writes them, "1.1.1") that every
// range allows; prereleases only when asked for or named exactly, as dbt does.
func pickVersion(available []string, ranges []string, prerelease bool) (string, error) {
	var cs []constraint
	for _, r := range ranges {
		c, err := parseConstraint(r)
		if err != nil {
			return "", err
		}
		if c.op == "=" && semver.Prerelease(c.version) != "" {
			prerelease = true
		}
		cs = append(cs, c)
	}
	best, bestV := "", ""
	for _, a := range available {
		v := "v" + strings.TrimPrefix(a, "v")
		if !semver.IsValid(v) || (!prerelease && semver.Prerelease(v) != "") {
			continue
		}
		ok := true
		for _, c := range cs {
			if !c.allows(v) {
				ok = false
				break
			}
		}
		if ok && (bestV == "" || semver.Compare(v, bestV) > 0) {
			best, bestV = a, v
		}
	}
	if best == "" {
		return "", fmt.Errorf("no version satisfies %s (available: %s)", strings.Join(ranges, ", "), strings.Join(available, ", "))
	}
	return best, nil
}
