// Package builtin holds the macro library every project gets: dbt's generic tests (not_null,
// unique, accepted_values, relationships) and the most-used dbt_utils macros and tests, written
// for this engine (dialect differences go through adapter.dispatch and the dbt namespace).
package builtin

import (
	"embed"
	"io/fs"
	"path"
)

//go:embed dbt/*.sql dbt_utils/*.sql
var files embed.FS

// File is a macro file; its Path is builtin/<namespace>/<file>.
type File struct {
	Path string
	Text string
}

// Files returns the library, in a stable order.
func Files() []File {
	var out []File
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, File{Path: path.Join("builtin", p), Text: string(b)})
		return nil
	})
	return out
}
