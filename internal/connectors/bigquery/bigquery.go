// Package bigquery describes the Google BigQuery connection type. It has no
// implementation yet: Type().Open is nil, so the type is registered (its schema validates
// and masks configs) but never offered.
// Its SDK is heavy (≈ 45 s to compile): it belongs in this package alone, so that only
// programs registering BigQuery link it.
package bigquery

import (
	_ "embed" // the config schema

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "bigquery" connection type, described but not available yet.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "bigquery",
		Label:        "Google BigQuery",
		Capabilities: connectors.Capabilities{Source: true, Destination: true, SQL: true, TransformTarget: true},
		ConfigSchema: schema,
	}
}
