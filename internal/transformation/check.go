package transformation

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing/fstest"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/transform"
	"github.com/datanika/datanika/internal/transform/dialect"
	"github.com/datanika/datanika/internal/transform/graph"
	"github.com/datanika/datanika/internal/transform/jinja"
	"github.com/datanika/datanika/internal/transform/project"
)

// Parsed is a project assembled from the database and parsed by the engine.
type Parsed struct {
	Files  map[string][]byte
	Engine *transform.Engine
	// Adapter is the destination's dialect (postgres, mysql).
	Adapter string
}

// ModelID is the unique id of a model (or snapshot) of the org's project.
func ModelID(m Model) string {
	if m.Materialization == "snapshot" {
		return "snapshot." + ProjectName + "." + m.Name
	}
	return "model." + ProjectName + "." + m.Name
}

// Parse assembles the project's files and parses them as the engine does before a run. A
// project-wide problem (a macro's Jinja error, a dependency cycle, an unreadable properties
// file) is returned as an apperr Invalid error with the file, line and column; problems of
// single nodes stay on the engine (NodeError) for the caller to judge.
func Parse(ctx context.Context, in Input, d *dialect.Dialect, targetSchema string, cache *transform.Cache) (*Parsed, error) {
	return ParseWith(ctx, in, transform.Options{Dialect: d, TargetSchema: targetSchema, Cache: cache})
}

// ParseWith is Parse with the engine's options as a run needs them (threads, full refresh,
// logger, progress).
func ParseWith(ctx context.Context, in Input, opts transform.Options) (*Parsed, error) {
	files, err := parseFiles(in)
	if err != nil {
		return nil, err
	}
	fsys := fstest.MapFS{}
	for name, b := range files {
		fsys[name] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	proj, err := project.Load(fsys)
	if err != nil {
		return nil, projectError(err, in)
	}
	e, err := transform.New(ctx, proj, opts)
	if err != nil {
		return nil, projectError(err, in)
	}
	return &Parsed{Files: files, Engine: e, Adapter: opts.Dialect.Name}, nil
}

// projectError turns an error of the whole project into a 422 naming where it is.
func projectError(err error, in Input) error {
	var cycle *graph.CycleError
	if errors.As(err, &cycle) {
		names := make([]string, len(cycle.Path))
		for i, id := range cycle.Path {
			names[i] = id[strings.LastIndex(id, ".")+1:]
		}
		f := apperr.FieldError{Field: "sql_body", Message: "dependency cycle: " + strings.Join(names, " -> ")}
		if len(cycle.Path) > 0 {
			for _, m := range in.Models {
				if ModelID(m) == cycle.Path[0] {
					f.File = FileOf(m)
				}
			}
		}
		return apperr.Invalidf([]apperr.FieldError{f}, "The models would form a dependency cycle: %s.", strings.Join(names, " -> "))
	}
	f := fieldOf(err, in)
	return apperr.Invalidf([]apperr.FieldError{f}, "The project does not parse: %s", f.Message)
}

// fieldOf places an engine error: a template error has its file, line and column; an unknown
// ref() or source() is pointed at its call in the file.
func fieldOf(err error, in Input) apperr.FieldError {
	f := apperr.FieldError{Field: "sql_body", Message: err.Error()}
	var te *jinja.Error
	var le *project.LoadError
	switch {
	case errors.As(err, &te):
		f.File, f.Line, f.Column, f.Message = te.Path, te.Line, te.Col, te.Msg
	case errors.As(err, &le):
		f.File, f.Message = le.Path, le.Err.Error()
	}
	if strings.HasPrefix(f.File, "macros/") {
		f.Field = "macros"
	}
	// The engine's messages start with the file; the position is in its own fields.
	if f.File != "" {
		f.Message = strings.TrimPrefix(f.Message, f.File+": ")
	} else if path, rest, ok := strings.Cut(f.Message, ": "); ok && strings.HasSuffix(path, ".sql") {
		f.File, f.Message = path, rest
	}
	for _, m := range in.Models {
		if FileOf(m) != f.File {
			continue
		}
		if f.Line > 0 {
			f.Line -= lineOffset(m)
		} else if pos := callPosition(m.SQL, f.Message); pos[0] > 0 {
			f.Line, f.Column = pos[0], pos[1]
		}
	}
	return f
}

var calledIn = regexp.MustCompile(`refers to ((?:ref|source)\([^)]*\))`)

// callPosition finds the ref()/source() call an error message quotes in sql: its 1-based line
// and column, or zeros.
func callPosition(sql, msg string) [2]int {
	m := calledIn.FindStringSubmatch(msg)
	if m == nil {
		return [2]int{}
	}
	kind, rest, _ := strings.Cut(m[1], "(")
	var args []string
	for _, a := range strings.Split(strings.TrimSuffix(rest, ")"), ",") {
		args = append(args, strings.Trim(strings.TrimSpace(a), `'"`))
	}
	pattern := `\b` + kind + `\(\s*`
	for i, a := range args {
		if i > 0 {
			pattern += `\s*,\s*`
		}
		pattern += `['"]` + regexp.QuoteMeta(a) + `['"]`
	}
	loc := regexp.MustCompile(pattern).FindStringIndex(sql)
	if loc == nil {
		return [2]int{}
	}
	before := sql[:loc[0]]
	line := strings.Count(before, "\n") + 1
	col := loc[0] - strings.LastIndex(before, "\n")
	return [2]int{line, col}
}

// NodeErrors are the field errors of the models whose parse failed, by unique id, and of
// the macro files that do not parse, by "macro:" and their file.
func (p *Parsed) NodeErrors(in Input) map[string]apperr.FieldError {
	out := map[string]apperr.FieldError{}
	for _, m := range in.Models {
		id := ModelID(m)
		if err := p.Engine.NodeError(id); err != nil {
			f := fieldOf(err, in)
			if f.File == "" {
				f.File = FileOf(m)
			}
			out[id] = f
		}
	}
	for _, err := range p.Engine.MacroProblems() {
		f := fieldOf(err, in)
		out["macro:"+f.File] = f
	}
	return out
}

// DependsOn is what a node reads: the unique ids of its parents, sorted.
func (p *Parsed) DependsOn(id string) []string {
	parents := append([]string{}, p.Engine.Graph().Parents(id)...)
	sort.Strings(parents)
	return parents
}

// newErrors reports what a change breaks: the node errors of after that before did not have
// (a model broken already does not block saving another one), as one 422.
func newErrors(before, after map[string]apperr.FieldError, what string) error {
	var fields []apperr.FieldError
	ids := make([]string, 0, len(after))
	for id := range after {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if b, ok := before[id]; ok && b.Message == after[id].Message {
			continue
		}
		fields = append(fields, after[id])
	}
	if len(fields) == 0 {
		return nil
	}
	f := fields[0]
	where := f.File
	if f.Line > 0 {
		where += fmt.Sprintf(":%d", f.Line)
		if f.Column > 0 {
			where += fmt.Sprintf(":%d", f.Column)
		}
	}
	return apperr.Invalidf(fields, "The %s breaks the project: %s: %s", what, where, f.Message)
}
