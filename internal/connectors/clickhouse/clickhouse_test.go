package clickhouse

import (
	"testing"

	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func valid() map[string]any {
	return map[string]any{"host": "ch.example.com", "port": 9440, "protocol": "native", "secure": true,
		"database": "default", "user": "default", "password": "pw"}
}

func TestClickHouse_IsDescribedButNotOffered(t *testing.T) {
	t.Parallel()
	connectorstest.RequireNotOffered(t, Type())
}

func TestClickHouseConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "host", connectorstest.Remove), "config.host")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "protocol", "grpc"), "config.protocol")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "secure", "true"), "config.secure")
	for _, h := range connectorstest.HostileHosts {
		connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "host", h), "config.host")
	}
}

func TestClickHouseConfig_MasksThePassword(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), valid(), []string{"password"})
}
