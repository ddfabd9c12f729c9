// Package builtin registers every connection type Datanika ships. It is the one place that
// links all connector packages, heavy SDKs included once they exist, so only the program
// (and this package's test) pays for them; other packages build their own small registries.
package builtin

import (
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/bigquery"
	"github.com/datanika/datanika/internal/connectors/clickhouse"
	"github.com/datanika/datanika/internal/connectors/file"
	"github.com/datanika/datanika/internal/connectors/mssql"
	"github.com/datanika/datanika/internal/connectors/mysql"
	"github.com/datanika/datanika/internal/connectors/postgres"
	"github.com/datanika/datanika/internal/connectors/redshift"
	"github.com/datanika/datanika/internal/connectors/restapi"
	"github.com/datanika/datanika/internal/connectors/s3"
	"github.com/datanika/datanika/internal/connectors/snowflake"
	"github.com/datanika/datanika/internal/connectors/sqlite"
)

// Types returns every shipped type, available or only described.
func Types() []connectors.Type {
	return []connectors.Type{
		postgres.Type(),
		mysql.Type(),
		sqlite.Type(),
		mssql.Type(),
		redshift.Type(),
		bigquery.Type(),
		snowflake.Type(),
		clickhouse.Type(),
		s3.Type(),
		file.Type(),
		restapi.Type(),
	}
}

// Registry returns a registry holding every shipped type.
func Registry() *connectors.Registry {
	r := connectors.NewRegistry()
	r.MustRegister(Types()...)
	return r
}
