package transform

import (
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
