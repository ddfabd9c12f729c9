// Package redshift describes the Amazon Redshift connection type. It has no
// implementation yet: Type().Open is nil, so the type is registered (its schema validates
// and masks configs) but never offered.
// Redshift speaks the PostgreSQL protocol, but is not offered through the postgres connector
// until it is tested against a real cluster.
package redshift

import (
	_ "embed" // the config schema

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "redshift" connection type, described but not available yet.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "redshift",
		Label:        "Amazon Redshift",
		Capabilities: connectors.Capabilities{Destination: true, SQL: true, TransformTarget: true},
		ConfigSchema: schema,
	}
}
