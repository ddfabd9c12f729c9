package load

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/datanika/datanika/internal/apperr"
)

// FileOptions is config.files: how a file source (an uploaded file, an S3 prefix) is read.
// Everything is optional; what is not set is detected.
type FileOptions struct {
	// Glob keeps the S3 objects whose key, after the connection's prefix, matches it: * and ?
	// within a path segment, ** across segments ("2024/**/*.csv"). Empty: every file of the
	// connection's format.
	Glob string `json:"glob,omitempty"`
	// AllowEmpty makes a prefix (and glob) matching no object load nothing instead of failing.
	AllowEmpty bool `json:"allow_empty,omitempty"`
	// FileColumn names the column holding each row's object key (S3); default _dnk_file.
	FileColumn string `json:"file_column,omitempty"`
	// CSV dialect overrides.
	Delimiter  string  `json:"delimiter,omitempty"`
	Quote      string  `json:"quote,omitempty"`
	Header     *bool   `json:"header,omitempty"`
	Encoding   string  `json:"encoding,omitempty"`
	NullMarker *string `json:"null_marker,omitempty"`
	// RecordsPath is where a json file's array of records is, as dotted keys ("data.items").
	RecordsPath string `json:"records_path,omitempty"`
	// SampleRows is how many records the columns' types are inferred from (default 1000).
	SampleRows int `json:"sample_rows,omitempty"`
	// Columns fixes the type of columns by name (text, integer, decimal, double, boolean,
	// date, timestamp, timestamptz, uuid, json) instead of inferring it.
	Columns map[string]string `json:"columns,omitempty"`
}

var fileOptionKeys = []string{"glob", "allow_empty", "file_column", "delimiter", "quote", "header", "encoding",
	"null_marker", "records_path", "sample_rows", "columns"}

func (v *validator) files(raw any) *FileOptions {
	m, ok := raw.(map[string]any)
	if !ok {
		v.fail("config.files", "must be an object")
		return nil
	}
	o := &FileOptions{}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(fileOptionKeys, k) {
			v.fail("config.files."+k, "is not a known field ("+strings.Join(fileOptionKeys, ", ")+")")
		}
	}
	str := func(key string, dst *string, check func(string) string) {
		raw, ok := m[key]
		if !ok {
			return
		}
		s, isStr := raw.(string)
		if !isStr {
			v.fail("config.files."+key, "must be a string")
			return
		}
		if msg := check(s); msg != "" {
			v.fail("config.files."+key, msg)
			return
		}
		*dst = s
	}
	str("glob", &o.Glob, func(s string) string {
		if len(s) > 1024 {
			return "must be at most 1024 characters"
		}
		if _, err := globRegexp(s); err != nil {
			return "is not a valid glob: " + err.Error()
		}
		return ""
	})
	str("file_column", &o.FileColumn, func(s string) string {
		if strings.TrimSpace(s) == "" || len(s) > 63 {
			return "must be 1 to 63 characters"
		}
		return ""
	})
	oneByte := func(s string) string {
		if len(s) != 1 || s[0] == '\n' || s[0] == '\r' {
			return "must be one character (an ASCII one, not a line ending)"
		}
		return ""
	}
	str("delimiter", &o.Delimiter, oneByte)
	str("quote", &o.Quote, oneByte)
	if o.Delimiter != "" && o.Delimiter == o.Quote {
		v.fail("config.files.quote", "must differ from the delimiter")
	}
	str("encoding", &o.Encoding, func(s string) string {
		if !slices.Contains(fileEncodings, s) {
			return "must be one of: " + strings.Join(fileEncodings, ", ")
		}
		return ""
	})
	str("records_path", &o.RecordsPath, func(s string) string {
		if s == "" || slices.Contains(strings.Split(s, "."), "") {
			return "must be keys separated by dots, such as data.items"
		}
		return ""
	})
	if raw, ok := m["null_marker"]; ok {
		s, isStr := raw.(string)
		if !isStr || len(s) > 32 || strings.ContainsAny(s, "\r\n") {
			v.fail("config.files.null_marker", "must be a string of at most 32 characters on one line")
		} else {
			o.NullMarker = &s
		}
	}
	if raw, ok := m["header"]; ok {
		b, isBool := raw.(bool)
		if !isBool {
			v.fail("config.files.header", "must be true or false")
		} else {
			o.Header = &b
		}
	}
	if raw, ok := m["allow_empty"]; ok {
		b, isBool := raw.(bool)
		if !isBool {
			v.fail("config.files.allow_empty", "must be true or false")
		}
		o.AllowEmpty = b
	}
	if raw, ok := m["sample_rows"]; ok {
		n, isNum := raw.(json.Number)
		i, err := strconv.ParseInt(string(n), 10, 64)
		if !isNum || err != nil || i <= 0 || i > 1_000_000 {
			v.fail("config.files.sample_rows", "must be a positive integer (at most 1000000)")
		} else {
			o.SampleRows = int(i)
		}
	}
	if raw, ok := m["columns"]; ok {
		cols, isObj := raw.(map[string]any)
		if !isObj {
			v.fail("config.files.columns", "must be an object of column names and types")
		}
		o.Columns = map[string]string{}
		for _, name := range sortedKeys(cols) {
			s, isStr := cols[name].(string)
			if _, known := columnTypeOverride(s); !isStr || !known {
				v.fail("config.files.columns."+name, "must be one of: "+columnTypeNames)
				continue
			}
			o.Columns[name] = s
		}
	}
	return o
}

// ObjectMatcher is how an s3 source picks its objects: it keeps a key when the key, after the
// connection's prefix, matches config.files.glob; with no glob, every key. A glob that does not
// compile is a *GlobError.
func ObjectMatcher(prefix, glob string) (func(key string) bool, error) {
	if glob == "" {
		return func(string) bool { return true }, nil
	}
	re, err := globRegexp(glob)
	if err != nil {
		return nil, &GlobError{Glob: glob, Reason: err.Error()}
	}
	return func(key string) bool { return re.MatchString(strings.TrimPrefix(key, prefix)) }, nil
}

// GlobError is a config.files.glob that does not compile.
type GlobError struct {
	Glob   string
	Reason string
}

func (e *GlobError) Error() string { return fmt.Sprintf("glob %q is not valid: %s", e.Glob, e.Reason) }

// globRegexp compiles a glob: * and ? within a segment, ** across segments, [...] classes.
func globRegexp(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		switch c {
		case '*':
			if i+1 < len(glob) && glob[i+1] == '*' {
				i++
				if i+1 < len(glob) && glob[i+1] == '/' {
					i++
					b.WriteString("(?:.*/)?") // **/ is zero or more folders
				} else {
					b.WriteString(".*")
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			j := strings.IndexByte(glob[i:], ']')
			if j < 0 {
				return nil, errGlob("an unclosed [")
			}
			class := glob[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

type errGlob string

func (e errGlob) Error() string { return string(e) }

// CheckSourceConfig reports the parts of a valid config that a source of connection type typ
// cannot take: config.files outside file sources, filters and incremental cursors on them.
func CheckSourceConfig(typ string, cfg Config) FieldErrors {
	var errs FieldErrors
	fileSource := typ == "file" || typ == "s3"
	if cfg.Files != nil && !fileSource {
		errs = append(errs, apperr.FieldError{Field: "config.files", Message: "is only for file and s3 sources"})
	}
	if fileSource && len(cfg.Filters) > 0 {
		errs = append(errs, apperr.FieldError{Field: "config.filters", Message: "is not available for file sources"})
	}
	if fileSource && cfg.Incremental != nil {
		errs = append(errs, apperr.FieldError{Field: "config.incremental",
			Message: "is not available for file sources (an s3 source loads each object once by itself)"})
	}
	return errs
}
