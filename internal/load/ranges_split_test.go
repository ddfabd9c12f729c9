package load

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitRange_CutsTheKeySpanEvenly(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		lo, hi int64
		n      int
		want   []int64
	}{
		{"even", 0, 100, 4, []int64{25, 50, 75}},
		{"negative keys", -1000, -1, 2, []int64{-501}},
		{"across zero", -10, 10, 4, []int64{-5, 0, 5}},
		{"fewer keys than readers", 5, 7, 4, []int64{6, 7}},
		{"one key", 3, 3, 4, nil},
		{"serial", 0, 100, 1, nil},
		{"the whole int64 domain", math.MinInt64, math.MaxInt64, 4,
			[]int64{math.MinInt64/2 - 1, -2, math.MaxInt64/2 - 2}}, // step (2^64-1)/4, rounded down
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.want, splitRange(c.lo, c.hi, c.n))
		})
	}
}

// Every key falls in exactly one range, including keys outside [min, max] (which a reader in
// a later snapshot could see) and the extremes.
func TestKeyRanges_PartitionEveryKey(t *testing.T) {
	t.Parallel()
	kr := &KeyRanges{Column: "id", Bounds: splitRange(-100, 1_000_000, 4)}
	keys := []int64{math.MinInt64, -101, -100, -1, 0, 1, 274_974, 274_975, 274_976, 999_999, 1_000_000, math.MaxInt64}
	keys = append(keys, kr.Bounds...)
	for _, k := range keys {
		hits := 0
		for i := range kr.N() {
			w := kr.Window(Window{Filters: []Filter{{Column: "x", Op: "eq", Value: "1"}}}, i)
			require.Equal(t, "x", w.Filters[0].Column, "the window's own filters stay first")
			in := true
			for _, f := range w.Filters[1:] {
				b, err := strconv.ParseInt(f.Value.(string), 10, 64)
				require.NoError(t, err)
				switch f.Op {
				case "gte":
					in = in && k >= b
				case "lt":
					in = in && k < b
				default:
					t.Fatalf("unexpected op %q", f.Op)
				}
			}
			if in {
				hits++
			}
		}
		require.Equal(t, 1, hits, "key %d", k)
	}
}
