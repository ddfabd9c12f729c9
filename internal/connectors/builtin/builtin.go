// Package builtin registers every connection type Datanika ships: the light ones of package
// standard plus those backed by heavy cloud SDKs. Only the program (and this package's test)
// links it; other packages use standard.Registry so their test binaries do not pay for the SDKs.
package builtin

import (
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/bigquery"
	"github.com/datanika/datanika/internal/connectors/snowflake"
	"github.com/datanika/datanika/internal/connectors/standard"
	"github.com/datanika/datanika/internal/load/bqload"
	"github.com/datanika/datanika/internal/load/sqlgen"
)

// The program loads into every destination the load engine drives, not only PostgreSQL and
// MySQL: those that go through SQL scripts live in sqlgen (BigQuery's driver in bqload),
// which load cannot import.
func init() {
	sqlgen.Register()
	bqload.Register()
}

// Types returns every shipped type, available or only described.
func Types() []connectors.Type {
	return append(standard.Types(), bigquery.Type(), snowflake.Type())
}

// Registry returns a registry holding every shipped type.
func Registry() *connectors.Registry {
	r := connectors.NewRegistry()
	r.MustRegister(Types()...)
	return r
}
