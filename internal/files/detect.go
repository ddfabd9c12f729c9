// Package files owns uploaded files: storing an upload under a name the server chooses (never the
// client), hashing it, and recognising its format from its content (csv, tsv, jsonl, json,
// parquet, sqlite; gzip-compressed or not) with the columns a sample shows.
package files

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Formats.
const (
	FormatCSV     = "csv"
	FormatTSV     = "tsv"
	FormatJSONL   = "jsonl"
	FormatJSON    = "json"
	FormatParquet = "parquet"
	FormatSQLite  = "sqlite"
)

// Column is a detected column: its name and the type its sample values fit.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"` // integer, number, boolean, date, timestamp, string, json
}

// Detection is what Detect learns of a file.
type Detection struct {
	Format      string
	Compression string // none or gzip
	Columns     []Column
}

// ErrUnknownFormat means the content is none of the supported formats.
var ErrUnknownFormat = errors.New("the file is not csv, tsv, jsonl, json, parquet or sqlite (optionally gzip-compressed)")

const sampleBytes = 1 << 20 // what text detection reads
const sampleRows = 200

// Detect recognises the format of the file in r (size bytes; random access for parquet).
func Detect(r io.ReaderAt, size int64) (Detection, error) {
	head := make([]byte, min(size, 16))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return Detection{}, err
	}
	switch {
	case bytes.HasPrefix(head, []byte("PAR1")):
		return detectParquet(r, size)
	case bytes.HasPrefix(head, []byte("SQLite format 3\x00")):
		// Tables and columns come from the sqlite connector's catalog.
		return Detection{Format: FormatSQLite, Compression: "none", Columns: []Column{}}, nil
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(io.NewSectionReader(r, 0, size))
		if err != nil {
			return Detection{}, fmt.Errorf("gzip: %w", err)
		}
		sample, err := io.ReadAll(io.LimitReader(zr, sampleBytes))
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return Detection{}, fmt.Errorf("gzip: %w", err)
		}
		d, err := detectText(sample, len(sample) == sampleBytes)
		d.Compression = "gzip"
		return d, err
	default:
		sample := make([]byte, min(size, sampleBytes))
		n, err := r.ReadAt(sample, 0)
		if err != nil && !errors.Is(err, io.EOF) {
			return Detection{}, err
		}
		d, err := detectText(sample[:n], int64(n) < size)
		d.Compression = "none"
		return d, err
	}
}

func detectParquet(r io.ReaderAt, size int64) (Detection, error) {
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return Detection{}, fmt.Errorf("parquet: %w", err)
	}
	cols := []Column{}
	for _, field := range f.Schema().Fields() {
		cols = append(cols, Column{Name: field.Name(), Type: parquetType(field)})
	}
	return Detection{Format: FormatParquet, Compression: "none", Columns: cols}, nil
}

func parquetType(field parquet.Field) string {
	if !field.Leaf() {
		return "json"
	}
	t := field.Type()
	if lt := t.LogicalType(); lt != nil {
		switch lt.Value.(type) {
		case *format.DateType:
			return "date"
		case *format.TimestampType:
			return "timestamp"
		case *format.StringType, *format.EnumType, *format.UUIDType:
			return "string"
		case *format.DecimalType:
			return "number"
		case *format.JsonType:
			return "json"
		}
	}
	switch t.Kind() {
	case parquet.Boolean:
		return "boolean"
	case parquet.Int32, parquet.Int64:
		return "integer"
	case parquet.Float, parquet.Double:
		return "number"
	default:
		return "string"
	}
}

// detectText tells jsonl, json, tsv and csv apart. truncated means the sample stops mid-file, so
// its last line may be cut.
func detectText(sample []byte, truncated bool) (Detection, error) {
	trimmed := bytes.TrimLeft(sample, " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		return Detection{}, fmt.Errorf("%w: the file is empty", ErrUnknownFormat)
	}
	if truncated {
		if i := bytes.LastIndexByte(trimmed, '\n'); i > 0 {
			trimmed = trimmed[:i]
		}
	}
	switch trimmed[0] {
	case '{':
		if d, ok := detectJSONL(trimmed); ok {
			return d, nil
		}
		if json.Valid(trimmed) {
			return Detection{Format: FormatJSON, Columns: columnsOfObjects([]map[string]any{decodeObject(trimmed)})}, nil
		}
		if truncated {
			return Detection{}, fmt.Errorf("%w: a JSON document larger than the 1 MiB sample; upload it as jsonl", ErrUnknownFormat)
		}
		return Detection{}, fmt.Errorf("%w: invalid JSON", ErrUnknownFormat)
	case '[':
		var rows []map[string]any
		if err := json.Unmarshal(trimmed, &rows); err == nil {
			return Detection{Format: FormatJSON, Columns: columnsOfObjects(rows)}, nil
		}
		if truncated {
			return Detection{Format: FormatJSON, Columns: []Column{}}, nil
		}
		return Detection{}, fmt.Errorf("%w: a JSON file must hold an array of objects", ErrUnknownFormat)
	}
	if !isText(trimmed) {
		return Detection{}, ErrUnknownFormat
	}
	firstLine, _, _ := bytes.Cut(trimmed, []byte("\n"))
	delim := ','
	if bytes.Count(firstLine, []byte("\t")) > bytes.Count(firstLine, []byte(",")) {
		delim = '\t'
	}
	cr := csv.NewReader(bytes.NewReader(trimmed))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return Detection{}, fmt.Errorf("%w: %w", ErrUnknownFormat, err)
	}
	var rows [][]string
	for len(rows) < sampleRows {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Detection{}, fmt.Errorf("%w: line %d: %w", ErrUnknownFormat, len(rows)+2, err)
		}
		rows = append(rows, rec)
	}
	cols := make([]Column, len(header))
	for i, name := range header {
		values := make([]string, 0, len(rows))
		for _, r := range rows {
			if i < len(r) {
				values = append(values, r[i])
			}
		}
		cols[i] = Column{Name: strings.TrimSpace(name), Type: inferType(values)}
	}
	format := FormatCSV
	if delim == '\t' {
		format = FormatTSV
	}
	return Detection{Format: format, Columns: cols}, nil
}

func detectJSONL(sample []byte) (Detection, bool) {
	sc := bufio.NewScanner(bytes.NewReader(sample))
	sc.Buffer(make([]byte, 64<<10), sampleBytes)
	var rows []map[string]any
	lines := 0
	for sc.Scan() && len(rows) < sampleRows {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		lines++
		var obj map[string]any
		if json.Unmarshal(line, &obj) != nil {
			return Detection{}, false
		}
		rows = append(rows, obj)
	}
	if lines == 0 {
		return Detection{}, false
	}
	return Detection{Format: FormatJSONL, Columns: columnsOfObjects(rows)}, true
}

func decodeObject(b []byte) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// columnsOfObjects is the union of keys in order of first appearance… sorted, since Go maps
// forget order: alphabetical keeps the answer stable.
func columnsOfObjects(rows []map[string]any) []Column {
	byName := map[string][]string{}
	for _, r := range rows {
		for k, v := range r {
			byName[k] = append(byName[k], jsonValueText(v))
		}
	}
	names := make([]string, 0, len(byName))
	for k := range byName {
		names = append(names, k)
	}
	sort.Strings(names)
	cols := make([]Column, 0, len(names))
	for _, n := range names {
		t := inferType(byName[n])
		for _, r := range rows {
			switch r[n].(type) {
			case map[string]any, []any:
				t = "json"
			}
		}
		cols = append(cols, Column{Name: n, Type: t})
	}
	return cols
}

func jsonValueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

var (
	integerRE = regexp.MustCompile(`^[+-]?\d+$`)
	numberRE  = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)
)

// inferType finds the narrowest type every non-empty sample value fits.
func inferType(values []string) string {
	candidates := []string{"integer", "number", "boolean", "date", "timestamp"}
	fits := map[string]func(string) bool{
		"integer": func(s string) bool { return integerRE.MatchString(s) && len(s) < 19 },
		"number":  numberRE.MatchString,
		"boolean": func(s string) bool {
			switch strings.ToLower(s) {
			case "true", "false", "t", "f", "yes", "no":
				return true
			}
			return false
		},
		"date": func(s string) bool { _, err := time.Parse("2006-01-02", s); return err == nil },
		"timestamp": func(s string) bool {
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05.999999"} {
				if _, err := time.Parse(layout, s); err == nil {
					return true
				}
			}
			return false
		},
	}
	seen := false
	for _, c := range candidates {
		ok := true
		for _, v := range values {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			seen = true
			if !fits[c](v) {
				ok = false
				break
			}
		}
		if ok && seen {
			return c
		}
	}
	return "string"
}

func isText(b []byte) bool {
	if len(b) > 4096 {
		b = b[:4096]
	}
	return !bytes.ContainsRune(b, 0)
}
