// Package standard registers the connection types whose drivers are light to build: the
// databases and services Datanika reaches with pure-Go clients of modest size. The types backed
// by heavy cloud SDKs (BigQuery, Snowflake) are added by package builtin, which only the
// program links, so the test binaries of other packages (the HTTP server's, say) stay fast to
// build.
package standard

import (
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/clickhouse"
	"github.com/datanika/datanika/internal/connectors/file"
	"github.com/datanika/datanika/internal/connectors/mssql"
	"github.com/datanika/datanika/internal/connectors/mysql"
	"github.com/datanika/datanika/internal/connectors/postgres"
	"github.com/datanika/datanika/internal/connectors/redshift"
	"github.com/datanika/datanika/internal/connectors/restapi"
	"github.com/datanika/datanika/internal/connectors/s3"
	"github.com/datanika/datanika/internal/connectors/sqlite"
)

// Types returns the light types, available or only described.
func Types() []connectors.Type {
	return []connectors.Type{
		postgres.Type(),
		mysql.Type(),
		sqlite.Type(),
		mssql.Type(),
		redshift.Type(),
		clickhouse.Type(),
		s3.Type(),
		file.Type(),
		restapi.Type(),
	}
}

// Registry returns a registry holding the light types.
func Registry() *connectors.Registry {
	r := connectors.NewRegistry()
	r.MustRegister(Types()...)
	return r
}
