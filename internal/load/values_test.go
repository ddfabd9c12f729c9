package load

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

func TestNumericText_IsExactWithoutTrailingZeros(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"1234567890123456789012345678.0123456789": "1234567890123456789012345678.0123456789",
		"0.90": "0.9", "-0.0000000001": "-0.0000000001", "100": "100", "1e3": "1000", "-0": "0", "0.000": "0",
		"12.50": "12.5", "-5": "-5",
	} {
		n, err := ParseNumeric(in)
		require.NoError(t, err, in)
		require.Equal(t, want, NumericText(n), in)
	}
	_, err := ParseNumeric("1.2.3")
	require.Error(t, err)
}

func TestNumericFromFloat_ShortestThenRoundedToScale(t *testing.T) {
	t.Parallel()
	n, err := numericFromFloat(0.99, 2, true)
	require.NoError(t, err)
	require.Equal(t, "0.99", NumericText(n))
	n, err = numericFromFloat(12345678.0123456, 10, true)
	require.NoError(t, err)
	require.Equal(t, "12345678.0123456", NumericText(n))
	n, err = numericFromFloat(1.005, 1, true)
	require.NoError(t, err)
	require.Equal(t, "1", NumericText(n))
	n, err = numericFromFloat(2.675, 2, true)
	require.NoError(t, err)
	require.Equal(t, "2.68", NumericText(n)) // decimal rounding of the shortest text, not of the binary float
}

func TestChecksum_IsOrderIndependentAndSeesEveryValue(t *testing.T) {
	t.Parallel()
	kinds := []Kind{KindInt64, KindText, KindDecimal}
	num, _ := ParseNumeric("1.50")
	rows := [][]any{{int64(1), "a", num}, {int64(2), nil, nil}, {int64(3), "", num}}
	var a, b Checksum
	for _, r := range rows {
		a.Add(kinds, r)
	}
	for i := len(rows) - 1; i >= 0; i-- {
		b.Add(kinds, rows[i])
	}
	require.Equal(t, a, b)
	// NULL and the empty string differ; so do duplicated rows.
	var c Checksum
	c.Add(kinds, []any{int64(2), "", nil})
	var d Checksum
	d.Add(kinds, []any{int64(2), nil, nil})
	require.NotEqual(t, c.Sum, d.Sum)
	var e Checksum
	e.Add(kinds, rows[0])
	e.Add(kinds, rows[0])
	require.NotEqual(t, Checksum{Rows: 2}, e)
}

func TestCanonical_FormsAgreeAcrossSystems(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 6, 1, 12, 0, 0, 500000000, time.FixedZone("x", 7200))
	require.Equal(t, "2024-06-01T10:00:00.5Z", Canonical(KindTimestampTZ, at))
	require.Equal(t, "2024-06-01T12:00:00.5", Canonical(KindTimestamp, at))
	require.Equal(t, "2024-06-01", Canonical(KindDate, at))
	require.Equal(t, `{"a":[1,2.50],"b":"é"}`, Canonical(KindJSON, `{"b": "é", "a": [1, 2.50]}`))
	require.Equal(t, "1.5", Canonical(KindFloat32, float64(float32(1.5))))
	require.Equal(t, "0.1", Canonical(KindFloat32, float64(float32(0.1))))
	require.Equal(t, "23:59:59.999999", Canonical(KindTime, pgtype.Time{Microseconds: 86399999999, Valid: true}))
	require.Equal(t, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", Canonical(KindUUID,
		[16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}))
}

func TestLag_DurationsDaysAndNumbers(t *testing.T) {
	t.Parallel()
	l, err := parseLag("1d12h")
	require.NoError(t, err)
	require.Equal(t, 36*time.Hour, l.duration)
	l, err = parseLag("2.5")
	require.NoError(t, err)
	require.True(t, l.isNumber)
	v, err := applyLag(int64(10), l)
	require.NoError(t, err)
	require.Equal(t, int64(7), v)
	_, err = applyLag(int64(10), lag{duration: time.Minute})
	require.Error(t, err)
	_, err = parseLag("-5m")
	require.Error(t, err)
	_, err = parseLag("soon")
	require.Error(t, err)
}

// char(n) compares without its padding, which PostgreSQL adds and MySQL strips; other text
// keeps trailing spaces.
func TestCanonical_CharIgnoresPadding(t *testing.T) {
	t.Parallel()
	require.Equal(t, Canonical(KindChar, "ab"), Canonical(KindChar, "ab   "))
	require.Equal(t, " a", Canonical(KindChar, " a "))
	require.NotEqual(t, Canonical(KindText, "ab"), Canonical(KindText, "ab   "))
}
