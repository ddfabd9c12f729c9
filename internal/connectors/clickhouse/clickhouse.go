// Package clickhouse describes the ClickHouse connection type. It has no
// implementation yet: Type().Open is nil, so the type is registered (its schema validates
// and masks configs) but never offered.
package clickhouse

import (
	_ "embed" // the config schema

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "clickhouse" connection type, described but not available yet.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "clickhouse",
		Label:        "ClickHouse",
		Capabilities: connectors.Capabilities{Destination: true, SQL: true, TransformTarget: true},
		ConfigSchema: schema,
	}
}
