// Package file describes the Uploaded file connection type. It has no
// implementation yet: Type().Open is nil, so the type is registered (its schema validates
// and masks configs) but never offered.
// Files are never named by path: file_id refers to an upload made through /files.
package file

import (
	_ "embed" // the config schema

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "file" connection type, described but not available yet.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "file",
		Label:        "Uploaded file",
		Capabilities: connectors.Capabilities{Source: true},
		ConfigSchema: schema,
	}
}
