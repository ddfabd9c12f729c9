// Package s3 describes the Amazon S3 / S3-compatible connection type. It has no
// implementation yet: Type().Open is nil, so the type is registered (its schema validates
// and masks configs) but never offered.
package s3

import (
	_ "embed" // the config schema

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "s3" connection type, described but not available yet.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "s3",
		Label:        "Amazon S3 / S3-compatible",
		Capabilities: connectors.Capabilities{Source: true, Destination: true},
		ConfigSchema: schema,
	}
}
