package load

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/datanika/datanika/internal/apperr"
)

// Pipeline config values (SPEC §6); the names follow dlt so configs exported from the Python
// Datanika import unchanged.
const (
	ModeSingleTable  = "single_table"
	ModeFullDatabase = "full_database"

	Append  = "append"
	Replace = "replace"
	Merge   = "merge"

	VerifyNone     = "none"
	VerifyCount    = "count"
	VerifyChecksum = "checksum"

	NamingSnakeCase = "snake_case"
	NamingPreserve  = "preserve"

	ContractEvolve       = "evolve"
	ContractFreeze       = "freeze"
	ContractDiscardValue = "discard_value"
	ContractDiscardRow   = "discard_row"

	DefaultBatchSize = 50000
)

var (
	filterOps     = []string{"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "is_null", "not_null"}
	contractModes = []string{ContractEvolve, ContractFreeze, ContractDiscardValue, ContractDiscardRow}
	contractKeys  = []string{"tables", "columns", "data_type"}
)

// Config is a pipeline's config (SPEC §6) after ParseConfig filled in its defaults.
type Config struct {
	Mode             string                `json:"mode"`
	Table            string                `json:"table,omitempty"`
	TableNames       []string              `json:"table_names,omitempty"`
	SourceSchema     string                `json:"source_schema,omitempty"`
	WriteDisposition string                `json:"write_disposition"`
	PrimaryKey       []string              `json:"primary_key,omitempty"`
	MergeConfig      map[string]MergeTable `json:"merge_config,omitempty"`
	Incremental      *Incremental          `json:"incremental,omitempty"`
	BatchSize        int                   `json:"batch_size"`
	SchemaContract   SchemaContract        `json:"schema_contract"`
	Filters          []Filter              `json:"filters,omitempty"`
	Verify           string                `json:"verify"`
	Naming           string                `json:"naming"`
	// Files reads file sources (file and s3 connections): see FileOptions.
	Files *FileOptions `json:"files,omitempty"`
}

// MergeTable is one table's entry of merge_config.
type MergeTable struct {
	PrimaryKey []string `json:"primary_key"`
}

// Incremental says how a table is read in windows after a cursor column.
type Incremental struct {
	CursorPath string `json:"cursor_path"`
	// InitialValue is where the first run starts, as text typed by the cursor column.
	InitialValue string `json:"initial_value,omitempty"`
	RowOrder     string `json:"row_order"`
	// Lag re-reads a window behind the mark: a duration ("5m", "2h", "1d") for time cursors,
	// a number for numeric ones.
	Lag string `json:"lag,omitempty"`
}

// SchemaContract says what happens when the source's shape changes.
type SchemaContract struct {
	Tables   string `json:"tables"`
	Columns  string `json:"columns"`
	DataType string `json:"data_type"`
}

// Filter is one condition on a source column.
type Filter struct {
	Column string `json:"column"`
	Op     string `json:"op"`
	Value  any    `json:"value,omitempty"`
}

// FieldErrors is a validation failure: one entry per offending field, paths such as
// "config.incremental.cursor_path".
type FieldErrors []apperr.FieldError

func (e FieldErrors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + " " + f.Message
	}
	return "invalid pipeline config: " + strings.Join(parts, "; ")
}

// ParseConfig decodes and validates a pipeline config given as JSON (SPEC §6). It is pure: it
// knows nothing of connections, so the API also checks the source and destination capabilities.
// Every problem is reported, each on its field path under "config".
func ParseConfig(raw []byte) (Config, error) {
	var doc any = map[string]any{}
	if len(strings.TrimSpace(string(raw))) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return Config{}, FieldErrors{{Field: "config", Message: "is not valid JSON"}}
		}
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return Config{}, FieldErrors{{Field: "config", Message: "must be an object"}}
	}
	return ValidateConfig(m)
}

// ValidateConfig is ParseConfig for a config already decoded from JSON.
func ValidateConfig(m map[string]any) (Config, error) {
	v := &validator{}
	cfg := Config{Mode: ModeFullDatabase, WriteDisposition: Append, BatchSize: DefaultBatchSize,
		Verify: VerifyCount, Naming: NamingSnakeCase,
		SchemaContract: SchemaContract{Tables: ContractEvolve, Columns: ContractEvolve, DataType: ContractEvolve}}
	known := []string{"mode", "table", "table_names", "source_schema", "write_disposition", "primary_key",
		"merge_config", "incremental", "batch_size", "schema_contract", "filters", "verify", "naming", "files"}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(known, k) {
			v.fail("config."+k, "is not a known field")
		}
	}
	v.enum(m, "mode", &cfg.Mode, ModeSingleTable, ModeFullDatabase)
	v.str(m, "table", &cfg.Table)
	v.strList(m, "table_names", &cfg.TableNames)
	v.str(m, "source_schema", &cfg.SourceSchema)
	v.enum(m, "write_disposition", &cfg.WriteDisposition, Append, Replace, Merge)
	cfg.PrimaryKey = v.keys(m["primary_key"], "config.primary_key")
	v.enum(m, "verify", &cfg.Verify, VerifyNone, VerifyCount, VerifyChecksum)
	v.enum(m, "naming", &cfg.Naming, NamingSnakeCase, NamingPreserve)
	if raw, ok := m["batch_size"]; ok {
		n, isNum := raw.(json.Number)
		i, err := strconv.ParseInt(string(n), 10, 64)
		if !isNum || err != nil || i <= 0 || i > 10_000_000 {
			v.fail("config.batch_size", "must be a positive integer (at most 10000000)")
		} else {
			cfg.BatchSize = int(i)
		}
	}
	if raw, ok := m["merge_config"]; ok {
		mc, isObj := raw.(map[string]any)
		if !isObj {
			v.fail("config.merge_config", "must be an object of table names")
		}
		cfg.MergeConfig = map[string]MergeTable{}
		for _, table := range sortedKeys(mc) {
			entry := mc[table]
			path := "config.merge_config." + table
			e, isObj := entry.(map[string]any)
			if !isObj {
				v.fail(path, "must be an object with primary_key")
				continue
			}
			for _, k := range sortedKeys(e) {
				if k != "primary_key" {
					v.fail(path+"."+k, "is not a known field")
				}
			}
			pk := v.keys(e["primary_key"], path+".primary_key")
			if len(pk) == 0 && e["primary_key"] == nil {
				v.fail(path+".primary_key", "is required")
			}
			cfg.MergeConfig[table] = MergeTable{PrimaryKey: pk}
		}
	}
	if raw, ok := m["incremental"]; ok {
		cfg.Incremental = v.incremental(raw)
	}
	if raw, ok := m["schema_contract"]; ok {
		v.contract(raw, &cfg.SchemaContract)
	}
	if raw, ok := m["filters"]; ok {
		cfg.Filters = v.filters(raw)
	}
	if raw, ok := m["files"]; ok {
		cfg.Files = v.files(raw)
	}

	// Rules between fields.
	switch cfg.Mode {
	case ModeSingleTable:
		if strings.TrimSpace(cfg.Table) == "" {
			v.fail("config.table", "is required when mode is single_table")
		}
		if _, ok := m["table_names"]; ok {
			v.fail("config.table_names", "is not allowed when mode is single_table")
		}
		if _, ok := m["merge_config"]; ok {
			v.fail("config.merge_config", "is not allowed when mode is single_table (use primary_key)")
		}
		if cfg.WriteDisposition == Merge && len(cfg.PrimaryKey) == 0 {
			v.fail("config.primary_key", "is required when write_disposition is merge")
		}
	case ModeFullDatabase:
		if _, ok := m["table"]; ok {
			v.fail("config.table", "is not allowed when mode is full_database")
		}
		if _, ok := m["incremental"]; ok {
			v.fail("config.incremental", "is not allowed when mode is full_database")
		}
		if cfg.WriteDisposition == Merge && len(cfg.MergeConfig) == 0 {
			v.fail("config.merge_config", "is required when write_disposition is merge")
		}
	}
	if cfg.Incremental != nil && cfg.WriteDisposition == Replace {
		v.fail("config.incremental", "is not allowed with write_disposition replace (it reloads everything)")
	}
	if len(v.errs) > 0 {
		return Config{}, v.errs
	}
	return cfg, nil
}

type validator struct {
	errs FieldErrors
}

func (v *validator) fail(field, msg string) {
	v.errs = append(v.errs, apperr.FieldError{Field: field, Message: msg})
}

func (v *validator) str(m map[string]any, key string, dst *string) bool {
	raw, ok := m[key]
	if !ok {
		return false
	}
	s, isStr := raw.(string)
	if !isStr {
		v.fail("config."+key, "must be a string")
		return false
	}
	*dst = s
	return true
}

func (v *validator) enum(m map[string]any, key string, dst *string, allowed ...string) {
	var s string
	if !v.str(m, key, &s) {
		return
	}
	if !slices.Contains(allowed, s) {
		v.fail("config."+key, "must be one of: "+strings.Join(allowed, ", "))
		return
	}
	*dst = s
}

func (v *validator) strList(m map[string]any, key string, dst *[]string) {
	raw, ok := m[key]
	if !ok {
		return
	}
	list, isList := raw.([]any)
	if !isList {
		v.fail("config."+key, "must be a list of strings")
		return
	}
	for i, e := range list {
		s, isStr := e.(string)
		if !isStr || strings.TrimSpace(s) == "" {
			v.fail(fmt.Sprintf("config.%s[%d]", key, i), "must be a non-empty string")
			continue
		}
		*dst = append(*dst, s)
	}
}

// keys reads a key given as "id" or ["a", "b"].
func (v *validator) keys(raw any, path string) []string {
	switch k := raw.(type) {
	case nil:
		return nil
	case string:
		if strings.TrimSpace(k) == "" {
			v.fail(path, "must not be empty")
			return nil
		}
		return []string{k}
	case []any:
		if len(k) == 0 {
			v.fail(path, "must name at least one column")
			return nil
		}
		out := make([]string, 0, len(k))
		for i, e := range k {
			s, isStr := e.(string)
			if !isStr || strings.TrimSpace(s) == "" {
				v.fail(fmt.Sprintf("%s[%d]", path, i), "must be a non-empty string")
				continue
			}
			if slices.Contains(out, s) {
				v.fail(fmt.Sprintf("%s[%d]", path, i), "repeats a column")
				continue
			}
			out = append(out, s)
		}
		return out
	default:
		v.fail(path, "must be a column name or a list of column names")
		return nil
	}
}

func (v *validator) incremental(raw any) *Incremental {
	m, ok := raw.(map[string]any)
	if !ok {
		v.fail("config.incremental", "must be an object")
		return nil
	}
	inc := &Incremental{RowOrder: "asc"}
	for _, k := range sortedKeys(m) {
		if !slices.Contains([]string{"cursor_path", "initial_value", "row_order", "lag"}, k) {
			v.fail("config.incremental."+k, "is not a known field")
		}
	}
	switch c := m["cursor_path"].(type) {
	case string:
		if strings.TrimSpace(c) == "" {
			v.fail("config.incremental.cursor_path", "is required")
		}
		inc.CursorPath = c
	case nil:
		v.fail("config.incremental.cursor_path", "is required")
	default:
		v.fail("config.incremental.cursor_path", "must be a string")
	}
	if raw, ok := m["initial_value"]; ok {
		switch iv := raw.(type) {
		case string:
			inc.InitialValue = iv
		case json.Number:
			inc.InitialValue = iv.String()
		case nil:
		default:
			v.fail("config.incremental.initial_value", "must be a string or a number")
		}
	}
	if raw, ok := m["row_order"]; ok {
		s, isStr := raw.(string)
		if !isStr || (s != "asc" && s != "desc") {
			v.fail("config.incremental.row_order", "must be one of: asc, desc")
		} else {
			inc.RowOrder = s
		}
	}
	if raw, ok := m["lag"]; ok {
		switch l := raw.(type) {
		case string:
			if _, err := parseLag(l); err != nil {
				v.fail("config.incremental.lag", "must be a duration such as 5m, 2h or 1d, or a non-negative number")
			}
			inc.Lag = l
		case json.Number:
			if f, err := l.Float64(); err != nil || f < 0 {
				v.fail("config.incremental.lag", "must be a non-negative number")
			}
			inc.Lag = l.String()
		default:
			v.fail("config.incremental.lag", "must be a duration string or a number")
		}
	}
	return inc
}

// parseLag reads a lag: a Go duration extended with days ("1d", "1d12h"), or a plain number.
func parseLag(s string) (lag, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 {
			return lag{}, fmt.Errorf("negative lag")
		}
		return lag{number: f, isNumber: true}, nil
	}
	var days int64
	if i := strings.Index(s, "d"); i > 0 {
		n, err := strconv.ParseInt(s[:i], 10, 32)
		if err != nil {
			return lag{}, err
		}
		days, s = n, s[i+1:]
	}
	var d time.Duration
	if s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return lag{}, err
		}
	}
	d += time.Duration(days) * 24 * time.Hour
	if d < 0 {
		return lag{}, fmt.Errorf("negative lag")
	}
	return lag{duration: d}, nil
}

type lag struct {
	duration time.Duration
	number   float64
	isNumber bool
}

func (v *validator) contract(raw any, dst *SchemaContract) {
	switch c := raw.(type) {
	case string:
		if !slices.Contains(contractModes, c) {
			v.fail("config.schema_contract", "must be one of: "+strings.Join(contractModes, ", "))
			return
		}
		*dst = SchemaContract{Tables: c, Columns: c, DataType: c}
	case map[string]any:
		for _, k := range sortedKeys(c) {
			val := c[k]
			path := "config.schema_contract." + k
			if !slices.Contains(contractKeys, k) {
				v.fail(path, "is not a known field (tables, columns, data_type)")
				continue
			}
			s, isStr := val.(string)
			if !isStr || !slices.Contains(contractModes, s) {
				v.fail(path, "must be one of: "+strings.Join(contractModes, ", "))
				continue
			}
			switch k {
			case "tables":
				dst.Tables = s
			case "columns":
				dst.Columns = s
			case "data_type":
				dst.DataType = s
			}
		}
	default:
		v.fail("config.schema_contract", "must be an object or one of: "+strings.Join(contractModes, ", "))
	}
}

func (v *validator) filters(raw any) []Filter {
	list, ok := raw.([]any)
	if !ok {
		v.fail("config.filters", "must be a list")
		return nil
	}
	out := make([]Filter, 0, len(list))
	for i, e := range list {
		path := fmt.Sprintf("config.filters[%d]", i)
		m, isObj := e.(map[string]any)
		if !isObj {
			v.fail(path, "must be an object with column, op and value")
			continue
		}
		var f Filter
		for _, k := range sortedKeys(m) {
			if k != "column" && k != "op" && k != "value" {
				v.fail(path+"."+k, "is not a known field")
			}
		}
		if s, isStr := m["column"].(string); !isStr || strings.TrimSpace(s) == "" {
			v.fail(path+".column", "is required")
		} else {
			f.Column = s
		}
		if s, isStr := m["op"].(string); !isStr || !slices.Contains(filterOps, s) {
			v.fail(path+".op", "must be one of: "+strings.Join(filterOps, ", "))
		} else {
			f.Op = s
		}
		val, has := m["value"]
		switch f.Op {
		case "is_null", "not_null":
			if has && val != nil {
				v.fail(path+".value", "is not allowed with op "+f.Op)
			}
		case "in", "not_in":
			l, isList := val.([]any)
			if !isList || len(l) == 0 {
				v.fail(path+".value", "must be a non-empty list with op "+f.Op)
			} else if !scalars(l) {
				v.fail(path+".value", "must hold strings, numbers or booleans")
			}
			f.Value = l
		case "":
		default:
			if !has || val == nil {
				v.fail(path+".value", "is required with op "+f.Op)
			} else if !scalars([]any{val}) {
				v.fail(path+".value", "must be a string, a number or a boolean")
			}
			f.Value = val
		}
		out = append(out, f)
	}
	return out
}

// sortedKeys makes the order of reported problems stable.
func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

func scalars(l []any) bool {
	for _, e := range l {
		switch e.(type) {
		case string, json.Number, bool, float64, int, int64:
		default:
			return false
		}
	}
	return true
}

// KeysFor returns the merge key of a table, or nil when the table appends.
func (c Config) KeysFor(table string) []string {
	if c.WriteDisposition != Merge {
		return nil
	}
	if c.Mode == ModeSingleTable {
		return c.PrimaryKey
	}
	if mt, ok := c.MergeConfig[table]; ok {
		return mt.PrimaryKey
	}
	return nil
}
