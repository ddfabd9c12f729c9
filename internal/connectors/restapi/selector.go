package restapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
)

// lookup follows a dot path ("data.items", "meta.next", "items.0.id"; a leading "$." or "$"
// is the document itself) through decoded JSON. ok is false when some step is missing.
func lookup(doc any, path string) (any, bool) {
	path = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(path), "$"), ".")
	if path == "" {
		return doc, true
	}
	v := doc
	for _, step := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[step]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// wellKnown are the names records are usually found under, for a response with several arrays.
var wellKnown = []string{"data", "items", "results", "records", "entries", "rows", "values"}

// selectRecords finds the records of a page. An empty selector (or "$") takes the top-level
// array, or the only array field of the object (of several, the one with a well-known name),
// or else the object itself as one record. A selector that matches nothing is an error, so a
// typo does not pass for an empty API; one that matches null is an empty page.
func selectRecords(doc any, selector string) ([]any, error) {
	sel := strings.TrimSpace(selector)
	if sel == "" || sel == "$" {
		return autoRecords(doc)
	}
	v, ok := lookup(doc, sel)
	if !ok {
		return nil, fmt.Errorf("data_selector %q matches nothing in the response", sel)
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return x, nil
	case map[string]any:
		return []any{x}, nil
	default:
		return nil, fmt.Errorf("data_selector %q points at a single value, not records", sel)
	}
}

func autoRecords(doc any) ([]any, error) {
	switch x := doc.(type) {
	case nil:
		return nil, nil
	case []any:
		return x, nil
	case map[string]any:
		var arrays []string
		for k, v := range x {
			if _, ok := v.([]any); ok {
				arrays = append(arrays, k)
			}
		}
		switch len(arrays) {
		case 0:
			return []any{x}, nil
		case 1:
			return x[arrays[0]].([]any), nil
		}
		var known []string
		for _, name := range wellKnown {
			if _, ok := x[name].([]any); ok {
				known = append(known, name)
			}
		}
		if len(known) == 1 {
			return x[known[0]].([]any), nil
		}
		sort.Strings(arrays)
		return nil, fmt.Errorf("the response has several arrays (%s): set data_selector", strings.Join(arrays, ", "))
	default:
		return nil, errors.New("the response is a single value, not records: set data_selector")
	}
}

// toRecord makes a record of an element of the records array: objects as they are, anything
// else (an array of ids, say) as {"value": element}.
func toRecord(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{"value": v}
}

// scalarText is the text of a JSON scalar as a query parameter carries it; ok is false for
// null, objects and arrays.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case time.Time:
		return x.Format(time.RFC3339Nano), true
	default:
		return "", false
	}
}

// rawText is the text of a config value kept raw (a string, number or boolean).
func rawText(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	return strings.TrimSpace(string(raw)), true
}

// compareCursor orders two cursor values: as numbers when both are numbers, as instants when
// both are RFC 3339 timestamps, else as text (which orders ISO dates too).
func compareCursor(a, b string) int {
	if x, ok := new(big.Rat).SetString(a); ok && isNumeric(a) {
		if y, ok := new(big.Rat).SetString(b); ok && isNumeric(b) {
			return x.Cmp(y)
		}
	}
	if x, err := time.Parse(time.RFC3339Nano, a); err == nil {
		if y, err := time.Parse(time.RFC3339Nano, b); err == nil {
			return x.Compare(y)
		}
	}
	return strings.Compare(a, b)
}

// isNumeric excludes what big.Rat reads but JSON does not write as a number, such as "1/2".
func isNumeric(s string) bool {
	return s != "" && !strings.ContainsAny(s, "/_xXpPoObB")
}
