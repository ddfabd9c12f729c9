package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonRecords streams the objects of a jsonl file (one per line) or a json file (an array of
// objects, at the top or at a records path of an object), each as its keys in file order and
// their values (numbers as json.Number), with the line it starts on.
type jsonRecords struct {
	jsonl bool
	// jsonl
	br   *bufio.Reader
	line int64
	// json
	dec     *json.Decoder
	started bool
	path    []string
	src     *lineCounter
}

// lineCounter counts the newlines read through it, so a json record can be placed.
type lineCounter struct {
	r     io.Reader
	lines int64
}

func (l *lineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.lines += int64(bytes.Count(p[:n], []byte{'\n'}))
	return n, err
}

func newJSONRecords(r io.Reader, jsonl bool, recordsPath string) *jsonRecords {
	if jsonl {
		return &jsonRecords{jsonl: true, br: bufio.NewReaderSize(r, 256<<10)}
	}
	lc := &lineCounter{r: r}
	dec := json.NewDecoder(lc)
	dec.UseNumber()
	var path []string
	if recordsPath != "" {
		path = strings.Split(recordsPath, ".")
	}
	return &jsonRecords{dec: dec, path: path, src: lc}
}

type jsonField struct {
	key string
	val any
}

// next returns the next record, io.EOF after the last.
func (j *jsonRecords) next(fields []jsonField) ([]jsonField, int64, error) {
	if j.jsonl {
		for {
			line, err := j.br.ReadBytes('\n')
			if len(line) == 0 && errors.Is(err, io.EOF) {
				return nil, 0, io.EOF
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, 0, err
			}
			j.line++
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.UseNumber()
			out, err := decodeObject(dec, fields[:0])
			if err != nil {
				return nil, j.line, fmt.Errorf("line %d: %w", j.line, err)
			}
			return out, j.line, nil
		}
	}
	if !j.started {
		j.started = true
		if err := j.enterArray(); err != nil {
			return nil, 0, err
		}
	}
	if !j.dec.More() {
		return nil, 0, io.EOF
	}
	line := j.src.lines + 1 // approximately: the decoder reads ahead
	out, err := decodeObject(j.dec, fields[:0])
	if err != nil {
		return nil, line, fmt.Errorf("near line %d: %w", line, err)
	}
	return out, line, nil
}

// enterArray reads up to the opening bracket of the records: the top-level array, the array at
// the records path, or (no path, an object at the top) the first key holding an array.
func (j *jsonRecords) enterArray() error {
	tok, err := j.dec.Token()
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if tok == json.Delim('[') {
		if len(j.path) > 0 {
			return fmt.Errorf("config.files.records_path %q: the file is an array, not an object", strings.Join(j.path, "."))
		}
		return nil
	}
	if tok != json.Delim('{') {
		return errors.New("a json file must hold an array of objects, or an object holding one")
	}
	depth := 0
	for {
		if !j.dec.More() {
			if len(j.path) > 0 {
				return fmt.Errorf("config.files.records_path %q: the file has no such key", strings.Join(j.path, "."))
			}
			return errors.New("the json object holds no array of records (set config.files.records_path)")
		}
		keyTok, err := j.dec.Token()
		if err != nil {
			return err
		}
		key, _ := keyTok.(string)
		want := len(j.path) == 0 || key == j.path[depth]
		if want {
			tok, err := j.dec.Token()
			if err != nil {
				return err
			}
			switch {
			case tok == json.Delim('[') && (len(j.path) == 0 || depth == len(j.path)-1):
				return nil
			case tok == json.Delim('{') && len(j.path) > 0 && depth < len(j.path)-1:
				depth++
				continue
			case len(j.path) > 0:
				return fmt.Errorf("config.files.records_path %q: %q does not hold an array of records", strings.Join(j.path, "."), key)
			default:
				if d, ok := tok.(json.Delim); ok {
					if err := skipRest(j.dec, d); err != nil {
						return err
					}
				}
				continue
			}
		}
		// Skip the value token by token: a large one is never held whole.
		tok, err := j.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if err := skipRest(j.dec, d); err != nil {
				return err
			}
		}
	}
}

// skipRest reads past the rest of a value whose opening delimiter was read.
func skipRest(dec *json.Decoder, _ json.Delim) error {
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '[' || d == '{' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// decodeObject reads one object, keeping its keys' order.
func decodeObject(dec *json.Decoder, fields []jsonField) ([]jsonField, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, errors.New("a record is not a JSON object")
	}
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		fields = append(fields, jsonField{key: keyTok.(string), val: v})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	return fields, nil
}

// inferJSON infers the columns (keys in order of first appearance) and their kinds from the
// first records.
func (s *fileSource) inferJSON(ctx context.Context, obj fileObject) error {
	r, closeFn, err := openText(ctx, obj)
	if err != nil {
		return err
	}
	defer func() { _ = closeFn() }()
	jr := newJSONRecords(r, s.format == "jsonl", s.opts.RecordsPath)
	sampleRows := s.opts.SampleRows
	if sampleRows <= 0 {
		sampleRows = DefaultSampleRows
	}
	t := &Table{Name: s.defaultName}
	var infs []kindInference
	var fields []jsonField
	for n := 0; n < sampleRows; n++ {
		fields, _, err = jr.next(fields)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		for _, f := range fields {
			idx, _ := t.Column(f.key)
			if idx < 0 {
				t.Columns = append(t.Columns, Column{Name: f.key, Nullable: true})
				t.CastText = append(t.CastText, false)
				infs = append(infs, newKindInference())
				idx = len(t.Columns) - 1
			}
			infs[idx].addJSON(f.val)
		}
	}
	for i := range t.Columns {
		k := infs[i].kind()
		t.Columns[i].Type = Type{Kind: k, Source: fileTypeName(k)}
	}
	s.table = t
	return nil
}

// readJSON reads one jsonl or json object's records.
func (s *fileSource) readJSON(ctx context.Context, obj fileObject, rd *rowReader) error {
	r, closeFn, err := openText(ctx, obj)
	if err != nil {
		return fmt.Errorf("%s: %w", obj.Name, err)
	}
	defer func() { _ = closeFn() }()
	jr := newJSONRecords(r, s.format == "jsonl", s.opts.RecordsPath)
	cols := rd.t.Columns
	fileIdx := -1
	if s.fileColumn != "" {
		fileIdx, _ = rd.t.Column(s.fileColumn)
	}
	var fields []jsonField
	for {
		var line int64
		fields, line, err = jr.next(fields)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", obj.Name, err)
		}
		row := rd.b.Next()
		drop := false
		for _, f := range fields {
			ci, _ := rd.t.Column(f.key)
			if ci < 0 || ci == fileIdx {
				if f.key == s.fileColumn {
					return fmt.Errorf("%s has a key %q: choose another config.files.file_column", obj.Name, f.key)
				}
				t, key := rd.t, f.key
				return &retypeError{msg: fmt.Sprintf("%s, line %d: a key %q the sampled records do not have", obj.Name, line, key),
					apply: func() { addTextColumn(t, key) }}
			}
			if f.val == nil {
				continue
			}
			cv, err := jsonFileValue(cols[ci].Type.Kind, f.val)
			if err != nil {
				d, ferr := rd.badValue(obj, line, ci, f.val, err, func() []any {
					raw := make([]any, len(cols))
					for _, g := range fields {
						if gi, _ := rd.t.Column(g.key); gi >= 0 && g.val != nil {
							raw[gi] = jsonText(g.val)
						}
					}
					return raw
				})
				if ferr != nil {
					return ferr
				}
				drop = drop || d
				continue
			}
			row[ci] = cv
			rd.b.Bytes += 8
		}
		if fileIdx >= 0 {
			row[fileIdx] = obj.Name
		}
		if err := rd.finish(drop); err != nil {
			return err
		}
	}
}

// jsonText is a decoded JSON value as text: strings and numbers as they are, others as JSON.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// jsonFileValue converts a decoded JSON value to kind k.
func jsonFileValue(k Kind, v any) (any, error) {
	switch x := v.(type) {
	case map[string]any, []any:
		if k == KindJSON {
			b, err := json.Marshal(x)
			return string(b), err
		}
		return nil, fmt.Errorf("an object or array is not a %s", fileTypeName(k))
	case bool:
		switch k {
		case KindBool:
			return x, nil
		case KindText, KindJSON:
			return jsonText(x), nil
		}
		return nil, fmt.Errorf("%v is not a %s", x, fileTypeName(k))
	case json.Number:
		if k == KindJSON {
			return x.String(), nil
		}
		return fileValue(k, x.String())
	case string:
		if k == KindJSON {
			b, err := json.Marshal(x)
			return string(b), err
		}
		return fileValue(k, x)
	}
	return nil, fmt.Errorf("unexpected JSON value %T", v)
}
