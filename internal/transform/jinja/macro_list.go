package jinja

// MacroInfo describes one parsed macro: its name, the namespace it is registered under ("" for
// the project's own) and its file.
type MacroInfo struct {
	Name      string
	Namespace string
	Path      string
}

// Macros lists every parsed macro, in the order the files were given (dbt's graph.macros).
func (e *Env) Macros() []MacroInfo {
	out := make([]MacroInfo, len(e.macros))
	for i, m := range e.macros {
		out[i] = MacroInfo{Name: m.name, Namespace: m.namespace, Path: e.paths[m.file]}
	}
	return out
}
