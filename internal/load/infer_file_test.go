package load

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func inferKind(values ...string) Kind {
	k := newKindInference()
	for _, v := range values {
		k.add(v)
	}
	return k.kind()
}

func TestInferKind_NarrowestThatEveryValueFits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		values []string
		want   Kind
	}{
		{[]string{"1", "-20", "+3"}, KindInt64},
		{[]string{"1", "2.50"}, KindDecimal},
		{[]string{"1", "2.5e3"}, KindFloat64},
		{[]string{"007", "12"}, KindText}, // codes keep their zeros
		{[]string{"99999999999999999999"}, KindDecimal},
		{[]string{"true", "FALSE"}, KindBool},
		{[]string{"1", "true"}, KindText},
		{[]string{"2018-01-01", "2018-12-31"}, KindDate},
		{[]string{"2018-02-30"}, KindText},
		{[]string{"2018-01-01 10:00:00", "2018-01-01T10:00:00.123456"}, KindTimestamp},
		{[]string{"2018-01-01T10:00:00Z", "2018-01-01 10:00:00+02:00"}, KindTimestampTZ},
		{[]string{"2018-01-01T10:00:00Z", "2018-01-01 10:00:00"}, KindText},
		{[]string{"2018-01-01 10:00:00", "2018-01-02"}, KindTimestamp},
		{[]string{"6ba7b810-9dad-11d1-80b4-00c04fd430c8"}, KindUUID},
		{[]string{"inf", "nan"}, KindText},
		{[]string{"0x1F"}, KindText},
		{nil, KindText},
	}
	for _, c := range cases {
		require.Equal(t, c.want, inferKind(c.values...), "%q", c.values)
	}
}

func TestWiderKind(t *testing.T) {
	t.Parallel()
	require.Equal(t, KindDecimal, widerKind(KindInt64, KindDecimal))
	require.Equal(t, KindFloat64, widerKind(KindDecimal, KindFloat64))
	require.Equal(t, KindTimestamp, widerKind(KindDate, KindTimestamp))
	require.Equal(t, KindText, widerKind(KindInt64, KindDate))
	require.Equal(t, KindText, widerKind(KindBool, KindInt64))
	require.Equal(t, KindJSON, widerKind(KindText, KindJSON))
}

func TestFileValue_ConvertsOrSaysWhy(t *testing.T) {
	t.Parallel()
	v, err := fileValue(KindDecimal, "1234567890123456789.000000001")
	require.NoError(t, err)
	require.Equal(t, "1234567890123456789.000000001", Canonical(KindDecimal, v))
	_, err = fileValue(KindInt64, "12a")
	require.ErrorContains(t, err, `"12a" is not an integer`)
	_, err = fileValue(KindDate, "2018-13-01")
	require.ErrorContains(t, err, "is not a date")
	tm, err := fileValue(KindTimestampTZ, "2018-01-01 10:00:00+0200")
	require.NoError(t, err)
	require.Equal(t, "2018-01-01T08:00:00Z", Canonical(KindTimestampTZ, tm))
}

func TestDetectDialect(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		sample string
		fixed  byte
		want   CSVDialect
	}{
		{"comma with header", "id,name,amount\n1,a,2.5\n2,\"b, c\",3\n", 0, CSVDialect{Delimiter: ',', Quote: '"', Header: true}},
		{"semicolon", "id;name\n1;x\n2;y\n", 0, CSVDialect{Delimiter: ';', Quote: '"', Header: true}},
		{"pipe", "a|b|c\n1|2|3\n", 0, CSVDialect{Delimiter: '|', Quote: '"', Header: true}},
		{"tab fixed", "a,b\tc\n1,2\t3\n", '\t', CSVDialect{Delimiter: '\t', Quote: '"', Header: true}},
		{"no header: numbers first", "1,2018-01-01,3\n2,2018-01-02,4\n", 0, CSVDialect{Delimiter: ',', Quote: '"', Header: false}},
		{"single quotes", "id,name\n1,'a, b'\n2,'c'\n", 0, CSVDialect{Delimiter: ',', Quote: '\'', Header: true}},
		{"null marker", "id,n\n1,\\N\n2,5\n", 0, CSVDialect{Delimiter: ',', Quote: '"', Header: true, NullMarker: `\N`}},
		{"NULL marker", "id,d\n1,NULL\n2,2018-01-01\n", 0, CSVDialect{Delimiter: ',', Quote: '"', Header: true, NullMarker: "NULL"}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, detectDialect([]byte(c.sample), c.fixed), c.name)
	}
}

func TestDetectEncoding(t *testing.T) {
	t.Parallel()
	require.Equal(t, "utf-8", detectEncoding([]byte("caf\xc3\xa9,1\n")))
	require.Equal(t, "utf-8", detectEncoding([]byte("\xef\xbb\xbfa,b\n")))
	require.Equal(t, "utf-8", detectEncoding([]byte("ab\xc3")), "a character cut at the sample's end")
	require.Equal(t, "latin1", detectEncoding([]byte("caf\xe9,1\n")))
	require.Equal(t, "utf-16le", detectEncoding([]byte("\xff\xfea\x00")))

	got, err := io.ReadAll(decodeReader(bytes.NewReader([]byte("caf\xe9")), "latin1"))
	require.NoError(t, err)
	require.Equal(t, "café", string(got))
	got, err = io.ReadAll(decodeReader(bytes.NewReader([]byte("\xef\xbb\xbfid")), "utf-8"))
	require.NoError(t, err)
	require.Equal(t, "id", string(got), "the byte order mark is dropped")
}

func TestCSVReader_QuotesLinesAndErrors(t *testing.T) {
	t.Parallel()
	in := "a,b,c\r\n\"x \"\"q\"\"\",,\"\"\n\"multi\nline\",2,3\n\n4,5,\n"
	cr := newCSVReader(strings.NewReader(in), ',', '"')
	type rec struct {
		fields []string
		quoted []bool
		line   int
	}
	var got []rec
	for {
		f, q, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		got = append(got, rec{append([]string(nil), f...), append([]bool(nil), q...), cr.line})
	}
	require.Equal(t, []rec{
		{[]string{"a", "b", "c"}, []bool{false, false, false}, 1},
		{[]string{`x "q"`, "", ""}, []bool{true, false, true}, 2},
		{[]string{"multi\nline", "2", "3"}, []bool{true, false, false}, 3},
		{[]string{"4", "5", ""}, []bool{false, false, false}, 6},
	}, got)

	_, _, err := newCSVReader(strings.NewReader("a,\"open\n"), ',', '"').Read()
	require.ErrorContains(t, err, "line 1: a quoted field is not closed")
	_, _, err = newCSVReader(strings.NewReader("a,\"x\"y\n"), ',', '"').Read()
	require.ErrorContains(t, err, `line 1: unexpected 'y' after a closing quote`)

	long := strings.Repeat("x", 600<<10)
	f, _, err := newCSVReader(strings.NewReader(long+",1\n"), ',', '"').Read()
	require.NoError(t, err)
	require.Equal(t, []string{long, "1"}, f, "a line longer than the read buffer")
}

func TestGlob(t *testing.T) {
	t.Parallel()
	re, err := globRegexp("2024/**/*.csv")
	require.NoError(t, err)
	require.True(t, re.MatchString("2024/a.csv"))
	require.True(t, re.MatchString("2024/01/02/a.csv"))
	require.False(t, re.MatchString("2023/a.csv"))
	require.False(t, re.MatchString("2024/a.csv.gz"))
	re, err = globRegexp("orders_??.csv")
	require.NoError(t, err)
	require.True(t, re.MatchString("orders_01.csv"))
	require.False(t, re.MatchString("x/orders_01.csv"))
	_, err = globRegexp("[a")
	require.Error(t, err)
}

func TestFileOptions_Validation(t *testing.T) {
	t.Parallel()
	_, err := ParseConfig([]byte(`{"files": {"delimiter": ";;", "encoding": "ebcdic", "columns": {"id": "bigserial"},
		"sample_rows": 0, "glob": "[x", "nope": 1, "header": "yes"}}`))
	var fe FieldErrors
	require.ErrorAs(t, err, &fe)
	fields := map[string]bool{}
	for _, f := range fe {
		fields[f.Field] = true
	}
	for _, want := range []string{"config.files.delimiter", "config.files.encoding", "config.files.columns.id",
		"config.files.sample_rows", "config.files.glob", "config.files.nope", "config.files.header"} {
		require.True(t, fields[want], "%s in %v", want, err)
	}
	cfg, err := ParseConfig([]byte(`{"files": {"delimiter": ";", "null_marker": "", "header": false, "columns": {"id": "integer"}}}`))
	require.NoError(t, err)
	require.Equal(t, ";", cfg.Files.Delimiter)
	require.False(t, *cfg.Files.Header)
	require.Empty(t, *cfg.Files.NullMarker)
}

// The fast paths agree with the general parsers.
func TestFastPathsAgreeWithTheGeneralParsers(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"2024-01-01 00:00:01+00", "2024-01-01T10:00:00Z", "2024-02-29 23:59:59.123456789-05:30",
		"2024-01-01 10:00", "2024-01-01T10:00:00.5", "2024-01-01 10:00:00+0200", "2023-02-29 10:00:00", "2024-13-01 10:00:00",
		"2024-01-01 10:00:00Zx", "2024-01-01 24:00:00", "2024-01-01 10:00:00+2", "2024-01-01 10:00:00."} {
		fast, zoned, ok := parseISOTimestamp(s)
		slowZ, errZ := parseFileTimestampSlow(s, true)
		slowN, errN := parseFileTimestampSlow(s, false)
		switch {
		case !ok:
			require.Error(t, errZ, s)
			require.Error(t, errN, s)
		case zoned:
			require.NoError(t, errZ, s)
			require.True(t, fast.Equal(slowZ), "%s: %v vs %v", s, fast, slowZ)
		default:
			require.NoError(t, errN, s)
			require.Equal(t, slowN, fast, s)
		}
	}
	for _, s := range []string{"0.01", "-12.50", "5.", ".5", "+3", "999999999999999999", "1234567890.12345678", "0"} {
		fast, ok := smallDecimal(s)
		require.True(t, ok, s)
		slow, err := ParseNumeric(s)
		require.NoError(t, err)
		require.Equal(t, NumericText(slow), NumericText(fast), s)
	}
	for _, s := range []string{"1e5", "12a", "", "-", "1.2.3", "9999999999999999999", "007"} {
		_, ok := smallDecimal(s)
		require.False(t, ok, s)
	}
}

// parseFileTimestampSlow is parseFileTimestamp by time.Parse's layouts alone.
func parseFileTimestampSlow(s string, zoned bool) (time.Time, error) {
	layouts := naiveLayouts
	if zoned {
		layouts = zonedLayouts
	}
	var err error
	for _, l := range layouts {
		var tm time.Time
		if tm, err = time.Parse(l, s); err == nil {
			return tm, nil
		}
	}
	return time.Time{}, err
}

func TestTextForCopy_TimestampsAsTheDecodingPathSendsThem(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2024-01-01 10:00:00+00":            "2024-01-01 10:00:00+00",
		"2024-01-01T10:00:00.123456Z":       "2024-01-01T10:00:00.123456Z",
		"2024-01-01 10:00:00.1234567+02:00": "2024-01-01 08:00:00.123456+00",
		"2024-01-01 10:00:00+0200":          "2024-01-01 08:00:00+00",
		"2024-01-01T10:00:00.999999999-05":  "2024-01-01 15:00:00.999999+00",
		"2024-01-01 10:00:00-05:30":         "2024-01-01 10:00:00-05:30",
	} {
		got, err := textForCopy(KindTimestampTZ, in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	got, err := textForCopy(KindTimestamp, "2024-01-01 10:00:00.9999999")
	require.NoError(t, err)
	require.Equal(t, "2024-01-01 10:00:00.999999", got)
	_, err = textForCopy(KindTimestamp, "2024-01-01 10:00:00Z")
	require.ErrorContains(t, err, "is not a date and time")
	_, err = textForCopy(KindInt64, "1.5")
	require.ErrorContains(t, err, `"1.5" is not an integer`)
}
