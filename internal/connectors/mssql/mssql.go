// Package mssql describes the Microsoft SQL Server connection type. It has no
// implementation yet: Type().Open is nil, so the type is registered (its schema validates
// and masks configs) but never offered.
package mssql

import (
	_ "embed" // the config schema

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "mssql" connection type, described but not available yet.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "mssql",
		Label:        "Microsoft SQL Server",
		Capabilities: connectors.Capabilities{Source: true, Destination: true, SQL: true, TransformTarget: true},
		ConfigSchema: schema,
	}
}
