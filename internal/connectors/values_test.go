package connectors_test

import (
	"encoding/json"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

func TestJSONValue_EncodesWithoutLoss(t *testing.T) {
	t.Parallel()
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	n, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	in := []any{nil, true, "s", int32(1), int64(math.MaxInt64), 1.5, math.NaN(), math.Inf(-1),
		[]byte{0, 1, 2}, ts, n, []any{[]byte("x")}, map[string]any{"k": ts}}
	got := make([]any, len(in))
	for i, v := range in {
		got[i] = connectors.JSONValue(v)
	}
	require.Equal(t, []any{nil, true, "s", int32(1), int64(math.MaxInt64), 1.5, "NaN", "-Inf",
		"AAEC", "2026-01-02T03:04:05.000006Z", "123456789012345678901234567890",
		[]any{"eA=="}, map[string]any{"k": "2026-01-02T03:04:05.000006Z"}}, got)
	_, err := json.Marshal(got)
	require.NoError(t, err)
}
