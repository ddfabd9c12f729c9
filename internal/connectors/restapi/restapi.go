// Package restapi describes the REST API connection type. It has no
// implementation yet: Type().Open is nil, so the type is registered (its schema validates
// and masks configs) but never offered.
package restapi

import (
	_ "embed" // the config schema

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "rest_api" connection type, described but not available yet.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "rest_api",
		Label:        "REST API",
		Capabilities: connectors.Capabilities{Source: true},
		ConfigSchema: schema,
	}
}
