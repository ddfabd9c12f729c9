package snowflake

import (
	"testing"

	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func valid() map[string]any {
	return map[string]any{"account": "myorg-acct1", "user": "LOADER", "password": "pw",
		"warehouse": "COMPUTE_WH", "database": "RAW", "schema": "PUBLIC", "role": "LOADER_ROLE"}
}

func TestSnowflake_IsDescribedButNotOffered(t *testing.T) {
	t.Parallel()
	connectorstest.RequireNotOffered(t, Type())
}

func TestSnowflakeConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	keyPair := connectorstest.With(connectorstest.With(valid(), "password", connectorstest.Remove), "authenticator", "key_pair")
	connectorstest.RequireInvalid(t, typ, keyPair, "config.private_key")
	connectorstest.RequireValid(t, typ, connectorstest.With(keyPair, "private_key", "-----BEGIN PRIVATE KEY-----"))
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "password", connectorstest.Remove), "config.password")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "account", "evil.com/x?"), "config.account")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "warehouse", connectorstest.Remove), "config.warehouse")
}

func TestSnowflakeConfig_MasksPasswordAndKeys(t *testing.T) {
	t.Parallel()
	cfg := connectorstest.With(connectorstest.With(valid(), "private_key", "PEM"), "private_key_passphrase", "pp")
	connectorstest.RequireMasked(t, Type(), cfg, []string{"password"}, []string{"private_key"}, []string{"private_key_passphrase"})
}
