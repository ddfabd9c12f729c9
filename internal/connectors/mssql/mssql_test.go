package mssql

import (
	"testing"

	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func valid() map[string]any {
	return map[string]any{"host": "sql.example.com", "port": 1433, "database": "app", "user": "sa",
		"password": "pw", "encrypt": "strict", "schema": "dbo"}
}

func TestMSSQL_IsDescribedButNotOffered(t *testing.T) {
	t.Parallel()
	connectorstest.RequireNotOffered(t, Type())
}

func TestMSSQLConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "database", connectorstest.Remove), "config.database")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "port", 70000), "config.port")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "encrypt", "maybe"), "config.encrypt")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "trust_server_certificate", "yes"), "config.trust_server_certificate")
	for _, h := range connectorstest.HostileHosts {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "host", h), "config.host")
	}
}

func TestMSSQLConfig_MasksThePassword(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), valid(), []string{"password"})
}
