package load

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// File sources (SPEC §5: the file and s3 connection types): an uploaded file, or the objects
// under an S3 prefix, read as one table. csv and tsv (dialect detected, overridable), jsonl,
// json (an array of objects, or an object holding one at a records path) and parquet, each
// optionally gzip (recognised by content). Every file is read streaming; text formats have
// their column kinds inferred from a bounded sample (infer_file.go) and every value is then
// converted to its column's kind, a value that does not fit following the schema contract's
// data_type: evolve widens the column and reads the table again, freeze fails naming the
// file, line and column, discard_value and discard_row record the row in _dnk_rejected.

// DefaultFileColumn is the column that names each row's source object (S3 sources).
const DefaultFileColumn = "_dnk_file"

// fileColumnSource marks the column naming each row's object: the pipeline names it, naming
// leaves it so.
const fileColumnSource = "object key"

// DefaultSampleRows is how many records the kinds of a text file's columns are inferred from.
const DefaultSampleRows = 1000

// fileObject is one file a file source reads.
type fileObject struct {
	// Name is the object's key, or "file <id>" for an upload.
	Name     string
	ETag     string
	Modified time.Time
	Size     int64
	open     func(ctx context.Context) (io.ReadCloser, error)
	// openAt gives random access, for parquet.
	openAt func(ctx context.Context) (io.ReaderAt, int64, io.Closer, error)
}

// fileSource reads file objects as one table.
type fileSource struct {
	format string
	opts   FileOptions
	// objects are every file the source holds, pending those this run reads.
	objects, pending []fileObject
	// fileColumn names the column holding each row's object ("" for none).
	fileColumn string
	// defaultName is the table's name when the pipeline names none.
	defaultName string
	// where says what the objects are, for messages ("under s3 prefix x/").
	where string
	table *Table
	// dialect of csv and tsv, detected on the first object with the overrides applied.
	dialect CSVDialect
	// rows counts the records of the last Read, for verify=count.
	rows int64
	// parquet reads typed columns; filled by inferParquet.
	parquet *parquetPlan
	closeFn func() error
	// primaryKey is config.primary_key, the key of the table replace builds.
	primaryKey []string
	// tracked sources (S3) load each object once: see resumeObjects.
	tracked bool
}

// retypeError stops a read whose value broke its column's inferred kind under the evolve
// contract: apply widens the column (or adds one) once the read and the copy have stopped, and
// the table is read again.
type retypeError struct {
	msg   string
	apply func()
}

func (e *retypeError) Error() string { return e.msg }

// maxRetypes bounds the reads again of one table.
const maxRetypes = 20

func (s *fileSource) Close() error {
	if s.closeFn != nil {
		return s.closeFn()
	}
	return nil
}

// Tables shows the files as one table, named by the pipeline (config.table or the one entry
// of table_names) or after the file.
func (s *fileSource) Tables(ctx context.Context, _ string, names []string) ([]*Table, error) {
	if len(names) > 1 {
		return nil, fmt.Errorf("a %s source is one table; name one at most (config.table)", s.format)
	}
	if len(s.objects) == 0 {
		return []*Table{}, nil // nothing to load, nothing created (OpenS3Source allowed it)
	}
	if s.table == nil {
		if err := s.infer(ctx); err != nil {
			return nil, err
		}
	}
	s.table.Name = s.defaultName
	if len(names) == 1 && strings.TrimSpace(names[0]) != "" {
		s.table.Name = names[0]
	}
	s.table.PrimaryKey = nil
	for _, k := range s.primaryKey {
		if idx, _ := s.table.Column(k); idx < 0 {
			return nil, fmt.Errorf("config.primary_key: column %q is not a column of the file", k)
		}
		s.table.PrimaryKey = append(s.table.PrimaryKey, k)
	}
	return []*Table{s.table}, nil
}

// infer reads the first object's head: its dialect and its columns with their kinds.
func (s *fileSource) infer(ctx context.Context) error {
	obj := s.objects[0]
	var err error
	switch s.format {
	case "parquet":
		err = s.inferParquet(ctx, obj)
	case "jsonl", "json":
		err = s.inferJSON(ctx, obj)
	default:
		err = s.inferCSV(ctx, obj)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", obj.Name, err)
	}
	if err := s.applyOverrides(); err != nil {
		return err
	}
	if s.fileColumn != "" {
		if idx, _ := s.table.Column(s.fileColumn); idx >= 0 {
			return fmt.Errorf("the file already has a column %q: choose another config.files.file_column", s.fileColumn)
		}
		s.addFileColumn()
	}
	return nil
}

func (s *fileSource) addFileColumn() {
	s.table.Columns = append(s.table.Columns, Column{Name: s.fileColumn, Type: Type{Kind: KindText, Source: fileColumnSource}})
	s.table.CastText = append(s.table.CastText, false)
}

// applyOverrides sets the kinds config.files.columns fixes.
func (s *fileSource) applyOverrides() error {
	for name, typ := range s.opts.Columns {
		idx, _ := s.table.Column(name)
		if idx < 0 {
			return fmt.Errorf("config.files.columns.%s: the file has no such column", name)
		}
		k, _ := columnTypeOverride(typ) // validated with the config
		if s.format == "parquet" {
			return fmt.Errorf("config.files.columns: a parquet file's columns have their own types")
		}
		s.table.Columns[idx].Type = Type{Kind: k, Source: fileTypeName(k) + " (set in the config)"}
	}
	return nil
}

// openText opens an object for reading as text: gunzipped when it is gzip (by its content).
func openText(ctx context.Context, obj fileObject) (io.Reader, func() error, error) {
	rc, err := obj.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(rc, 64<<10)
	head, _ := br.Peek(2)
	if bytes.Equal(head, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			_ = rc.Close()
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, rc.Close, nil
	}
	return br, rc.Close, nil
}

// inferCSV detects the dialect (what the config does not set) and infers the columns' kinds
// from the first DefaultSampleRows records.
func (s *fileSource) inferCSV(ctx context.Context, obj fileObject) error {
	r, closeFn, err := openText(ctx, obj)
	if err != nil {
		return err
	}
	defer func() { _ = closeFn() }()
	br := bufio.NewReaderSize(r, 64<<10)
	raw, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return err
	}
	enc := s.opts.Encoding
	if enc == "" {
		enc = detectEncoding(raw)
	}
	sample, _ := io.ReadAll(io.LimitReader(decodeReader(bytes.NewReader(raw), enc), 256<<10))
	var fixed byte
	if s.format == "tsv" {
		fixed = '\t'
	}
	if s.opts.Delimiter != "" {
		fixed = s.opts.Delimiter[0]
	}
	d := detectDialect(sample, fixed)
	d.Encoding = enc
	if s.opts.Quote != "" {
		d.Quote = s.opts.Quote[0]
	}
	if s.opts.Header != nil {
		d.Header = *s.opts.Header
	}
	if s.opts.NullMarker != nil {
		d.NullMarker = *s.opts.NullMarker
	}
	s.dialect = d

	cr := newCSVReader(decodeReader(br, enc), d.Delimiter, d.Quote)
	var names []string
	var infs []kindInference
	sampleRows := s.opts.SampleRows
	if sampleRows <= 0 {
		sampleRows = DefaultSampleRows
	}
	for n := 0; n <= sampleRows; n++ {
		rec, quoted, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if n == 0 && d.Header {
			names = headerNames(rec)
			continue
		}
		for len(infs) < len(rec) {
			infs = append(infs, newKindInference())
		}
		for i, v := range rec {
			if !s.isNull(v, quoted[i], KindInt64) {
				infs[i].add(v)
			}
		}
	}
	if names == nil && len(infs) == 0 {
		return errors.New("the file holds no records")
	}
	for len(names) < len(infs) {
		names = append(names, "column_"+strconv.Itoa(len(names)+1))
	}
	t := &Table{Name: s.defaultName}
	for i, n := range names {
		k := KindText
		if i < len(infs) {
			k = infs[i].kind()
		}
		t.Columns = append(t.Columns, Column{Name: n, Type: Type{Kind: k, Source: fileTypeName(k)}, Nullable: true})
		t.CastText = append(t.CastText, false)
	}
	s.table = t
	return nil
}

// headerNames makes a header's fields column names: trimmed, empty ones numbered, repeated
// ones suffixed.
func headerNames(rec []string) []string {
	out := make([]string, len(rec))
	seen := map[string]int{}
	for i, f := range rec {
		n := strings.TrimSpace(f)
		if n == "" {
			n = "column_" + strconv.Itoa(i+1)
		}
		if c := seen[n]; c > 0 {
			seen[n] = c + 1
			n = n + "_" + strconv.Itoa(c+1)
		}
		seen[n]++
		out[i] = n
	}
	return out
}

// isNull says whether a text field is NULL in a column of kind k: a bare empty field, the
// bare null marker, and in a typed column any empty field.
func (s *fileSource) isNull(v string, quoted bool, k Kind) bool {
	if v == "" {
		return !quoted || k != KindText
	}
	return !quoted && s.dialect.NullMarker != "" && v == s.dialect.NullMarker
}

func (s *fileSource) Count(context.Context, *Table, Window) (int64, error) {
	return s.rows, nil
}

// Read streams every pending object's rows.
func (s *fileSource) Read(ctx context.Context, t *Table, w Window, batchSize int, emit Emit) error {
	if len(w.Filters) > 0 {
		return errors.New("config.filters: file sources do not filter rows")
	}
	if w.Cursor != "" {
		return errors.New("config.incremental: file sources track the files they loaded instead of a cursor column")
	}
	s.rows = 0
	b := NewBatch(t.Columns, batchSize)
	rd := &rowReader{s: s, t: t, w: w, b: b, batchSize: batchSize, emit: emit}
	for _, obj := range s.pending {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		switch s.format {
		case "parquet":
			err = s.readParquet(ctx, obj, rd)
		case "jsonl", "json":
			err = s.readJSON(ctx, obj, rd)
		default:
			err = s.readCSV(ctx, obj, rd)
		}
		if err != nil {
			return err
		}
	}
	if rd.b.Len() > 0 {
		_, err := emit(rd.b)
		return err
	}
	return nil
}

// rowReader fills batches with converted rows, applying the contract to values that do not
// convert.
type rowReader struct {
	s         *fileSource
	t         *Table
	w         Window
	b         *Batch
	batchSize int
	emit      Emit
}

// badValue handles value v of column ci (row being filled) that did not convert: cause says
// why. It returns whether to drop the row, or the error that stops the read.
func (rd *rowReader) badValue(obj fileObject, line int64, ci int, v any, cause error, rowText func() []any) (bool, error) {
	col := &rd.t.Columns[ci]
	where := fmt.Sprintf("%s, line %d, column %q", obj.Name, line, col.Name)
	if rd.s.format == "parquet" {
		where = fmt.Sprintf("%s, row %d, column %q", obj.Name, line, col.Name)
	}
	mode := ContractEvolve
	if rd.w.reject != nil {
		mode = rd.w.reject.mode
	}
	switch mode {
	case ContractDiscardValue, ContractDiscardRow:
		return rd.w.reject.bad(rd.t.Columns, rowText(), ci, fmt.Errorf("%s: %w", where, cause))
	case ContractFreeze:
		return false, fmt.Errorf("%w: %s: %w (schema_contract.data_type is freeze; the column's type is %s)",
			ErrContract, where, cause, fileTypeName(col.Type.Kind))
	}
	if strings.HasSuffix(col.Type.Source, "(set in the config)") {
		return false, fmt.Errorf("%s: %w (the column's type is set in config.files.columns)", where, cause)
	}
	wider := widerKind(col.Type.Kind, jsonValueKind(v))
	if wider == col.Type.Kind {
		return false, fmt.Errorf("%s: %w", where, cause)
	}
	t := rd.t
	return false, &retypeError{msg: fmt.Sprintf("%s: %v; the column is widened to %s", where, cause, fileTypeName(wider)),
		apply: func() { t.Columns[ci].Type = Type{Kind: wider, Source: fileTypeName(wider)} }}
}

// jsonValueKind is the narrowest kind of a value as a file holds it (text, or a decoded JSON
// value).
func jsonValueKind(v any) Kind {
	switch x := v.(type) {
	case string:
		return valueKind(x)
	case json.Number:
		return valueKind(x.String())
	case bool:
		return KindBool
	case map[string]any, []any:
		return KindJSON
	}
	return KindText
}

// finish ends a row: dropped, or counted and the batch emitted when full.
func (rd *rowReader) finish(drop bool) error {
	rd.s.rows++
	if drop {
		rd.b.Drop()
		return nil
	}
	if rd.b.Full(rd.batchSize) {
		var err error
		rd.b, err = rd.emit(rd.b)
		return err
	}
	return nil
}

// readCSV reads one delimited object, mapping its columns to the table's by header name.
func (s *fileSource) readCSV(ctx context.Context, obj fileObject, rd *rowReader) error {
	r, closeFn, err := openText(ctx, obj)
	if err != nil {
		return fmt.Errorf("%s: %w", obj.Name, err)
	}
	defer func() { _ = closeFn() }()
	d := s.dialect
	cr := newCSVReader(decodeReader(r, d.Encoding), d.Delimiter, d.Quote)
	cols := rd.t.Columns
	fileIdx := -1
	if s.fileColumn != "" {
		fileIdx, _ = rd.t.Column(s.fileColumn)
	}
	// pos[i] is the table column of the file's field i (-1: none).
	var pos []int
	if !d.Header {
		for i := range cols {
			if i != fileIdx {
				pos = append(pos, i)
			}
		}
	}
	for {
		rec, quoted, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", obj.Name, err)
		}
		if pos == nil {
			if pos, err = s.headerPositions(obj, rec, rd.t); err != nil {
				return err
			}
			continue
		}
		if len(rec) > len(pos) {
			return fmt.Errorf("%s, line %d: %d fields where the header has %d", obj.Name, cr.line, len(rec), len(pos))
		}
		row := rd.b.Next()
		drop := false
		for i, v := range rec {
			ci := pos[i]
			if ci < 0 || s.isNull(v, quoted[i], cols[ci].Type.Kind) {
				continue
			}
			k := cols[ci].Type.Kind
			if k == KindText {
				row[ci] = v
				continue
			}
			cv, err := fileValue(k, v)
			if err != nil {
				d, ferr := rd.badValue(obj, int64(cr.line), ci, v, err, func() []any {
					raw := make([]any, len(cols))
					for j, f := range rec {
						if pos[j] >= 0 && !s.isNull(f, quoted[j], KindText) {
							raw[pos[j]] = f
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
		}
		if fileIdx >= 0 {
			row[fileIdx] = obj.Name
		}
		rd.b.Bytes += int64(len(cr.buf) + len(rec))
		if err := rd.finish(drop); err != nil {
			return err
		}
	}
}

// addTextColumn adds a column found past the sample, as text.
func addTextColumn(t *Table, name string) {
	t.Columns = append(t.Columns, Column{Name: name, Type: Type{Kind: KindText, Source: "text"}, Nullable: true})
	t.CastText = append(t.CastText, false)
}

// headerPositions maps a header's names to the table's columns: a column the file lacks is
// NULL; a name the table lacks is added (as text) and the table read again.
func (s *fileSource) headerPositions(obj fileObject, rec []string, t *Table) ([]int, error) {
	names := headerNames(rec)
	pos := make([]int, len(names))
	for i, n := range names {
		if n == s.fileColumn {
			return nil, fmt.Errorf("%s has a column %q: choose another config.files.file_column", obj.Name, n)
		}
		idx, _ := t.Column(n)
		if idx < 0 {
			return nil, &retypeError{msg: fmt.Sprintf("%s has a column %q the first file does not", obj.Name, n),
				apply: func() { addTextColumn(t, n) }}
		}
		pos[i] = idx
	}
	return pos, nil
}
