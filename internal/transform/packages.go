package transform

import (
	"strings"

	"github.com/datanika/datanika/internal/transform/builtin"
	"github.com/datanika/datanika/internal/transform/jinja"
	"github.com/datanika/datanika/internal/transform/project"
)

// macroFiles lists the macro files of a project for the jinja Env, lowest priority first
// (a later file's macro wins a bare name): the installed packages', then the built-in
// library, then the root project's. Every file keeps its package's namespace, so
// package.macro() reaches it whatever wins the bare name. The built-in dbt_utils is only the
// fallback for a project with no installed dbt_utils: an installed copy runs its own code.
// It also returns the installed packages' names.
func macroFiles(proj *project.Project) ([]jinja.File, []string) {
	var files []jinja.File
	var packages []string
	for _, pk := range proj.Packages {
		packages = append(packages, pk.Name)
	}
	for _, f := range proj.Macros {
		if f.Package != "" && f.Package != proj.Name {
			files = append(files, jinja.File{Path: f.Path, Text: f.Text, Namespace: f.Package})
		}
	}
	for _, f := range builtin.Files() {
		if ns := builtinNamespace(f.Path); ns != "dbt" && proj.Package(ns) != nil {
			continue
		}
		files = append(files, jinja.File{Path: f.Path, Text: f.Text})
	}
	for _, f := range proj.Macros {
		if f.Package == "" || f.Package == proj.Name {
			files = append(files, jinja.File{Path: f.Path, Text: f.Text, Namespace: proj.Name})
		}
	}
	return files, packages
}

// builtinNamespace is the namespace of a built-in file: builtin/<namespace>/file.sql.
func builtinNamespace(path string) string {
	rest, _ := strings.CutPrefix(path, "builtin/")
	ns, _, _ := strings.Cut(rest, "/")
	return ns
}
