package load

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// csvReader reads delimited records (csv, tsv) streaming, line by line: fields may be quoted
// (a doubled quote inside is one quote) and a quoted field may span lines. It tells quoted
// fields from bare ones, so that a bare empty field or the null marker is NULL while a quoted
// one is a string, and it knows the line each record starts on, for messages.
type csvReader struct {
	r            *bufio.Reader
	delim, quote byte
	// line is the first line of the last record read; next the line the next one starts on.
	line, next int
	buf        []byte
	ends       []int
	quoted     []bool
	fields     []string
	long       []byte // a line longer than the bufio buffer, assembled
}

func newCSVReader(r io.Reader, delim, quote byte) *csvReader {
	return &csvReader{r: bufio.NewReaderSize(r, 256<<10), delim: delim, quote: quote, next: 1}
}

// readLine returns the next physical line without its line ending; io.EOF only when nothing
// is left. The slice is valid until the next call.
func (c *csvReader) readLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		c.long = append(c.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = c.r.ReadSlice('\n')
			c.long = append(c.long, line...)
		}
		line = c.long
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(line) == 0 && errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	c.next++
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, nil
}

// errCSV is a malformed record.
type errCSV struct {
	line int
	msg  string
}

func (e *errCSV) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// Read reads the next record: its fields (valid until the next call) and which were quoted.
// Blank lines are skipped. io.EOF at the end.
func (c *csvReader) Read() ([]string, []bool, error) {
	var line []byte
	var err error
	for {
		c.line = c.next
		line, err = c.readLine()
		if err != nil {
			return nil, nil, err
		}
		if len(line) > 0 {
			break
		}
	}
	c.buf, c.ends, c.quoted = c.buf[:0], c.ends[:0], c.quoted[:0]
	pos := 0
	for {
		quoted := pos < len(line) && line[pos] == c.quote
		if quoted {
			pos++
			for {
				i := bytes.IndexByte(line[pos:], c.quote)
				if i < 0 {
					c.buf = append(c.buf, line[pos:]...)
					c.buf = append(c.buf, '\n')
					if line, err = c.readLine(); err != nil {
						if errors.Is(err, io.EOF) {
							return nil, nil, &errCSV{c.line, "a quoted field is not closed before the end of the file"}
						}
						return nil, nil, err
					}
					pos = 0
					continue
				}
				c.buf = append(c.buf, line[pos:pos+i]...)
				pos += i + 1
				if pos < len(line) && line[pos] == c.quote {
					c.buf = append(c.buf, c.quote)
					pos++
					continue
				}
				break
			}
			if pos < len(line) && line[pos] != c.delim {
				return nil, nil, &errCSV{c.line, fmt.Sprintf("unexpected %q after a closing quote (field %d)", line[pos], len(c.ends)+1)}
			}
		} else {
			i := bytes.IndexByte(line[pos:], c.delim)
			if i < 0 {
				i = len(line) - pos
			}
			c.buf = append(c.buf, line[pos:pos+i]...)
			pos += i
		}
		c.ends = append(c.ends, len(c.buf))
		c.quoted = append(c.quoted, quoted)
		if pos >= len(line) {
			break
		}
		pos++ // the delimiter
		if pos == len(line) {
			c.ends = append(c.ends, len(c.buf)) // a trailing delimiter: one more, empty, field
			c.quoted = append(c.quoted, false)
			break
		}
	}
	s := string(c.buf) // one allocation per record; fields are slices of it
	c.fields = c.fields[:0]
	start := 0
	for _, end := range c.ends {
		c.fields = append(c.fields, s[start:end])
		start = end
	}
	return c.fields, c.quoted, nil
}

// CSVDialect is how a delimited file is written: detected from a sample, each part overridable in
// the pipeline's config (config.files).
type CSVDialect struct {
	Delimiter byte
	Quote     byte
	Header    bool
	// Encoding is utf-8, utf-16le, utf-16be or latin1 (read as Windows-1252).
	Encoding string
	// NullMarker is the bare text that means NULL besides an empty field ("" when none).
	NullMarker string
}

// Encodings the file reader knows.
var fileEncodings = []string{"utf-8", "utf-16le", "utf-16be", "latin1"}

// decodeReader turns r in encoding enc into UTF-8, dropping a byte order mark.
func decodeReader(r io.Reader, enc string) io.Reader {
	switch enc {
	case "utf-16le":
		return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
	case "utf-16be":
		return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder())
	case "latin1":
		return transform.NewReader(r, charmap.Windows1252.NewDecoder())
	default:
		return transform.NewReader(r, unicode.UTF8BOM.NewDecoder())
	}
}

// detectEncoding reads the encoding off a sample's byte order mark, else UTF-8 when the sample
// is valid UTF-8 (a character cut at the sample's end aside), else Latin-1.
func detectEncoding(sample []byte) string {
	switch {
	case bytes.HasPrefix(sample, []byte{0xef, 0xbb, 0xbf}):
		return "utf-8"
	case bytes.HasPrefix(sample, []byte{0xff, 0xfe}):
		return "utf-16le"
	case bytes.HasPrefix(sample, []byte{0xfe, 0xff}):
		return "utf-16be"
	}
	for cut := 0; cut < 4 && cut <= len(sample); cut++ {
		if utf8.Valid(sample[:len(sample)-cut]) {
			return "utf-8"
		}
	}
	return "latin1"
}

// nullMarkers are the texts detection recognises as NULL.
var nullMarkers = []string{`\N`, "NULL", "null", "NA", "N/A", "None", "nil", "NaN"}

// detectDialect guesses the delimiter (unless fixed), the quote, whether the first record is a
// header, and the null marker, from UTF-8 text. tsv fixes the delimiter at a tab.
func detectDialect(sample []byte, fixedDelim byte) CSVDialect {
	d := CSVDialect{Delimiter: fixedDelim, Quote: '"', Header: true}
	if d.Delimiter == 0 {
		d.Delimiter = detectDelimiter(sample)
	}
	d.Quote = detectQuote(sample, d.Delimiter)
	recs, quoted := sampleRecords(sample, d.Delimiter, d.Quote, 200)
	if len(recs) == 0 {
		return d
	}
	d.Header = detectHeader(recs)
	body, bodyQuoted := recs, quoted
	if d.Header {
		body, bodyQuoted = recs[1:], quoted[1:]
	}
	d.NullMarker = detectNullMarker(body, bodyQuoted)
	return d
}

// sampleRecords reads up to n records of a sample; the last, perhaps cut, line is left out
// when the sample does not end with a line ending.
func sampleRecords(sample []byte, delim, quote byte, n int) ([][]string, [][]bool) {
	if i := bytes.LastIndexByte(sample, '\n'); i >= 0 && i < len(sample)-1 {
		sample = sample[:i+1]
	}
	cr := newCSVReader(bytes.NewReader(sample), delim, quote)
	var recs [][]string
	var quoted [][]bool
	for len(recs) < n {
		f, q, err := cr.Read()
		if err != nil {
			break
		}
		recs = append(recs, slices.Clone(f))
		quoted = append(quoted, slices.Clone(q))
	}
	return recs, quoted
}

// detectDelimiter picks, of comma, semicolon, tab and pipe, the one that splits the sample's
// records into the same number (more than one) of fields most consistently, the most fields
// breaking ties; comma when none does.
func detectDelimiter(sample []byte) byte {
	best, bestScore := byte(','), 0.0
	for _, cand := range []byte{',', ';', '\t', '|'} {
		recs, _ := sampleRecords(sample, cand, '"', 50)
		if len(recs) == 0 {
			continue
		}
		counts := map[int]int{}
		for _, r := range recs {
			counts[len(r)]++
		}
		mode, modeN := 0, 0
		for width, n := range counts {
			if n > modeN || (n == modeN && width > mode) {
				mode, modeN = width, n
			}
		}
		if mode < 2 {
			continue
		}
		score := float64(modeN)/float64(len(recs)) + float64(mode)/1000
		if score > bestScore {
			best, bestScore = cand, score
		}
	}
	return best
}

// detectQuote is ' when fields open with ' after a delimiter more often than with ", else ".
func detectQuote(sample []byte, delim byte) byte {
	count := func(q byte) int {
		n := 0
		for i := range sample {
			if sample[i] == q && (i == 0 || sample[i-1] == delim || sample[i-1] == '\n') {
				n++
			}
		}
		return n
	}
	if s, d := count('\''), count('"'); s > d && s >= 2 {
		return '\''
	}
	return '"'
}

// detectHeader: the first record is a header when its fields are distinct, none empty, and
// either some column's values below it are all of a kind its name does not fit (a number
// under "amount"), or no column is typed and the first record's values never recur below.
func detectHeader(recs [][]string) bool {
	first := recs[0]
	seen := map[string]bool{}
	for _, f := range first {
		if f == "" || seen[f] {
			return false
		}
		seen[f] = true
	}
	if len(recs) == 1 {
		return true
	}
	for i, name := range first {
		inf := newKindInference()
		for _, r := range recs[1:] {
			if i < len(r) && r[i] != "" {
				inf.add(r[i])
			}
		}
		if k := inf.kind(); k != KindText && !fitsKind(k, name) {
			return true
		}
		if k := inf.kind(); k != KindText && fitsKind(k, name) {
			return false
		}
	}
	for i, name := range first {
		for _, r := range recs[1:] {
			if i < len(r) && r[i] == name {
				return false
			}
		}
	}
	return true
}

// detectNullMarker finds a bare marker (\N, NULL, NA…) that stands where a column's other
// values are typed (numbers, dates…): the marker that makes the most columns typed.
func detectNullMarker(body [][]string, quoted [][]bool) string {
	best, bestCols := "", 0
	for _, m := range nullMarkers {
		cols := 0
		width := 0
		for _, r := range body {
			width = max(width, len(r))
		}
		for i := range width {
			inf := newKindInference()
			hit := false
			for ri, r := range body {
				if i >= len(r) || r[i] == "" {
					continue
				}
				if r[i] == m && !quoted[ri][i] {
					hit = true
					continue
				}
				inf.add(r[i])
			}
			if hit && inf.seen && inf.kind() != KindText {
				cols++
			}
		}
		if cols > bestCols {
			best, bestCols = m, cols
		}
	}
	return best
}
