package audit

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMask_HidesSecretsAtAnyDepthButNotPrimaryKeys(t *testing.T) {
	got := mask(map[string]any{
		"name":    "orders",
		"config":  map[string]any{"password": "hunter2", "primary_key": []any{"id"}, "merge_config": map[string]any{"t": map[string]any{"primary_key": "id"}}},
		"api_key": "dnk_x", "refresh_token": "r", "client_secret": "s", "private_key": "-----BEGIN",
	})
	require.Equal(t, "orders", got["name"])
	cfg := got["config"].(map[string]any)
	require.Equal(t, Masked, cfg["password"])
	require.Equal(t, []any{"id"}, cfg["primary_key"])
	require.Equal(t, "id", cfg["merge_config"].(map[string]any)["t"].(map[string]any)["primary_key"])
	for _, k := range []string{"api_key", "refresh_token", "client_secret", "private_key"} {
		require.Equal(t, Masked, got[k], k)
	}
}
