// Package jinja renders dbt's Jinja: it wraps gonja with what dbt templates need and gonja lacks
// (return(), list mutation inside loops, {% test %} blocks, namespaced and dispatched macros,
// dbt's filters) and keeps rendering sandboxed: templates see no file system and no process
// environment, loops and recursion are bounded, a render has a deadline, and a panic inside
// the engine becomes a template error that names the file, line and column.
package jinja
