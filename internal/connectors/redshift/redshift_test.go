package redshift

import (
	"testing"

	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func valid() map[string]any {
	return map[string]any{"host": "c1.abc.eu-west-1.redshift.amazonaws.com", "port": 5439, "database": "dev",
		"user": "awsuser", "password": "pw", "sslmode": "verify-full"}
}

func TestRedshift_IsDescribedButNotOffered(t *testing.T) {
	t.Parallel()
	connectorstest.RequireNotOffered(t, Type())
}

func TestRedshiftConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "password", connectorstest.Remove), "config.password")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "sslmode", "disable"), "config.sslmode")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "port", "5439"), "config.port")
	for _, h := range connectorstest.HostileHosts {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "host", h), "config.host")
	}
}

func TestRedshiftConfig_MasksThePassword(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), valid(), []string{"password"})
}
