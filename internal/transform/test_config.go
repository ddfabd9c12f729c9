package transform

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/datanika/datanika/internal/transform/project"
)

// recordTestConfig keeps the config() call of a generic test's macro (dbt_utils's tests set
// fail_calc and the like) for the test's run.
func (e *Engine) recordTestConfig(id string, va *exec.VarArgs) {
	e.testConfigMu.Lock()
	defer e.testConfigMu.Unlock()
	if e.testConfigs == nil {
		e.testConfigs = map[string]map[string]any{}
	}
	if e.testConfigs[id] == nil {
		e.testConfigs[id] = map[string]any{}
	}
	for k, v := range va.KwArgs {
		e.testConfigs[id][k] = goValue(v)
	}
}

// testConfig is a test's configuration as it ran: its macro's config() under the node's own
// (from its properties entry and dbt_project.yml, which win, as in dbt; severity is always
// the node's, error unless it says warn).
func (e *Engine) testConfig(n *node) project.Config {
	e.testConfigMu.Lock()
	fromMacro := e.testConfigs[n.UniqueID]
	e.testConfigMu.Unlock()
	if len(fromMacro) == 0 {
		return n.config
	}
	cfg := project.Config{}.Merge(fromMacro)
	for k, v := range n.config {
		cfg[k] = v
	}
	return cfg
}

var thresholdExpr = regexp.MustCompile(`^\s*(==|!=|>=|<=|>|<|=)\s*(-?\d+)\s*$`)

// testOutcome is dbt's verdict on a test's failing-row count: with severity error, fail when
// error_if holds; else warn when warn_if holds; else pass. Both default to "!=0"; a
// severity of warn never fails. error_if: "<1" (a test that must find rows) is how packages
// test their own failing cases.
func testOutcome(severity, errorIf, warnIf string, failures int64) (string, error) {
	holds := func(key, cond string) (bool, error) {
		if strings.TrimSpace(cond) == "" {
			cond = "!=0"
		}
		m := thresholdExpr.FindStringSubmatch(cond)
		if m == nil {
			return false, fmt.Errorf("%s: %q is not a condition such as \">10\" or \"!=0\"", key, cond)
		}
		n, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			return false, fmt.Errorf("%s: %q: %w", key, cond, err)
		}
		switch m[1] {
		case "==", "=":
			return failures == n, nil
		case "!=":
			return failures != n, nil
		case ">=":
			return failures >= n, nil
		case "<=":
			return failures <= n, nil
		case ">":
			return failures > n, nil
		default:
			return failures < n, nil
		}
	}
	if !strings.EqualFold(strings.TrimSpace(severity), "warn") {
		fails, err := holds("error_if", errorIf)
		if err != nil {
			return "", err
		}
		if fails {
			return StatusFail, nil
		}
	}
	warns, err := holds("warn_if", warnIf)
	if err != nil {
		return "", err
	}
	if warns {
		return StatusWarn, nil
	}
	return StatusPass, nil
}
