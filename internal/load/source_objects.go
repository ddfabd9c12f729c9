package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/s3"
)

// OpenFileSource opens a file connection (an upload, by file_id through env's FileResolver)
// as a source of one table, named file_<id> unless the pipeline names it.
func OpenFileSource(_ context.Context, config map[string]any, env connectors.Env, opts *FileOptions) (Source, error) {
	if env.Files == nil {
		return nil, errors.New("uploaded files are not available here")
	}
	var id int64
	switch v := config["file_id"].(type) {
	case json.Number:
		id, _ = v.Int64()
	case float64:
		id = int64(v)
	case int64:
		id = v
	case int:
		id = int64(v)
	}
	if id <= 0 {
		return nil, errors.New("file config: file_id is required")
	}
	format, _ := config["format"].(string)
	if format == "" {
		return nil, errors.New("file config: format is required")
	}
	name := "file " + strconv.FormatInt(id, 10)
	resolve := env.Files
	obj := fileObject{Name: name,
		open: func(ctx context.Context) (io.ReadCloser, error) {
			p, err := resolve(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("file %d: %w", id, err)
			}
			f, err := os.Open(p) //nolint:gosec // resolved from an upload id, never a user's path
			if err != nil {
				return nil, fmt.Errorf("file %d cannot be read", id)
			}
			return &uploadFile{f: f, id: id}, nil
		},
		openAt: func(ctx context.Context) (io.ReaderAt, int64, io.Closer, error) {
			p, err := resolve(ctx, id)
			if err != nil {
				return nil, 0, nil, fmt.Errorf("file %d: %w", id, err)
			}
			f, err := os.Open(p) //nolint:gosec // as above
			if err != nil {
				return nil, 0, nil, fmt.Errorf("file %d cannot be read", id)
			}
			st, err := f.Stat()
			if err != nil {
				_ = f.Close()
				return nil, 0, nil, fmt.Errorf("file %d cannot be read", id)
			}
			u := &uploadFile{f: f, id: id}
			return u, st.Size(), u, nil
		},
	}
	s := &fileSource{format: format, objects: []fileObject{obj}, defaultName: "file_" + strconv.FormatInt(id, 10),
		where: name}
	if opts != nil {
		s.opts = *opts
	}
	// The connection's own dialect settings, where it has them, unless the pipeline overrides.
	if d, ok := config["delimiter"].(string); ok && len(d) == 1 && s.opts.Delimiter == "" {
		s.opts.Delimiter = d
	}
	if h, ok := config["has_header"].(bool); ok && s.opts.Header == nil {
		s.opts.Header = &h
	}
	s.pending = s.objects
	return s, nil
}

// uploadFile reads an upload, its errors saying "file <id>" rather than where the server keeps
// it.
type uploadFile struct {
	f  *os.File
	id int64
}

func (u *uploadFile) hide(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("file %d: %s: %w", u.id, pe.Op, pe.Err)
	}
	return err
}

func (u *uploadFile) Read(p []byte) (int, error) {
	n, err := u.f.Read(p)
	return n, u.hide(err)
}

func (u *uploadFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := u.f.ReadAt(p, off)
	return n, u.hide(err)
}

func (u *uploadFile) Close() error { return u.hide(u.f.Close()) }

// OpenS3Source opens an s3 connection as a source of one table: every data file under its
// prefix (of its format) whose key, after the prefix, matches config.files.glob. The table is
// named after the prefix's last folder unless the pipeline names it; each row's object key is
// in config.files.file_column (_dnk_file). Objects already loaded, by key, ETag and
// modification time, are skipped (objectTracker).
func OpenS3Source(ctx context.Context, config map[string]any, env connectors.Env, opts *FileOptions) (Source, error) {
	c, err := s3.New(config, env)
	if err != nil {
		return nil, err
	}
	format, _ := c.Format()
	s := &fileSource{format: format, fileColumn: DefaultFileColumn}
	if opts != nil {
		s.opts = *opts
		if opts.FileColumn != "" {
			s.fileColumn = opts.FileColumn
		}
	}
	prefix, _ := config["prefix"].(string)
	s.defaultName = "files"
	if base := path.Base(strings.TrimSuffix(prefix, "/")); prefix != "" && base != "." && base != "/" {
		s.defaultName = base
	}
	s.where = fmt.Sprintf("under prefix %q", prefix)
	objs, err := c.Files(ctx)
	if err != nil {
		return nil, err
	}
	match, err := ObjectMatcher(prefix, s.opts.Glob)
	if err != nil {
		return nil, fmt.Errorf("config.files.glob: %w", err)
	}
	if s.opts.Glob != "" {
		s.where += fmt.Sprintf(" matching %q", s.opts.Glob)
	}
	for _, o := range objs {
		if !match(o.Key) {
			continue
		}
		listed := o
		// Read in the version listed: the state records that version's ETag.
		s.objects = append(s.objects, fileObject{Name: o.Key, ETag: o.ETag, Modified: o.LastModified, Size: o.Size,
			open: func(ctx context.Context) (io.ReadCloser, error) { return c.OpenListed(ctx, listed) },
			openAt: func(ctx context.Context) (io.ReaderAt, int64, io.Closer, error) {
				r, err := c.OpenListedAt(ctx, listed)
				if err != nil {
					return nil, 0, nil, err
				}
				return r, r.Size(), r, nil
			},
		})
	}
	if len(s.objects) == 0 && !s.opts.AllowEmpty {
		return nil, fmt.Errorf("no %s file %s (set config.files.allow_empty to load nothing instead)", format, s.where)
	}
	s.pending = s.objects
	s.tracked = true
	return s, nil
}

// ListS3Objects lists the objects of an s3 connection that a source with config.files.glob set
// to glob reads (OpenS3Source's data files and matcher), in key order: at most limit, and
// whether more match. A bad glob is a *GlobError; every request dials through env's Dialer.
func ListS3Objects(ctx context.Context, config map[string]any, env connectors.Env, glob string, limit int) ([]s3.Object, bool, error) {
	c, err := s3.New(config, env)
	if err != nil {
		return nil, false, err
	}
	match, err := ObjectMatcher(c.Prefix(), glob)
	if err != nil {
		return nil, false, err
	}
	return c.Match(ctx, match, limit)
}

// objectState is what the pipeline's state keeps of a loaded object.
type objectState struct {
	ETag     string    `json:"etag"`
	Modified time.Time `json:"modified"`
}

// filesState is the state value of a file source's table: the objects loaded, by key.
type filesState struct {
	Files map[string]objectState `json:"files"`
}

// resumeObjects keeps, of a tracked source's objects, those new or changed since the state the
// destination holds (the StateStore's copy when it holds none); a replace reads them all.
func resumeObjects(ctx context.Context, spec Spec, src Source, dst Destination, state StateStore, p *TablePlan) error {
	fs, ok := src.(*fileSource)
	if !ok || !fs.tracked {
		return nil
	}
	fs.pending = fs.objects
	if spec.FullRefresh || p.Disposition == Replace {
		return nil
	}
	var stored string
	var found bool
	var err error
	if !spec.WithoutDestinationRecord {
		stored, found, err = dst.State(ctx, spec.Pipeline, stateKey(p.Source))
	}
	if err == nil && !found && state != nil {
		stored, found, err = state.Get(ctx, spec.Pipeline, stateKey(p.Source))
	}
	if err != nil {
		return fmt.Errorf("read the files loaded into %s: %w", p.Source.QualifiedName(), err)
	}
	if !found {
		return nil
	}
	var st filesState
	if err := json.Unmarshal([]byte(stored), &st); err != nil {
		return fmt.Errorf("the stored state of %s is not a list of files: %w", p.Source.QualifiedName(), err)
	}
	fs.pending = nil
	for _, o := range fs.objects {
		if prev, ok := st.Files[o.Name]; ok && prev.ETag == o.ETag && prev.Modified.Equal(o.Modified) {
			continue
		}
		fs.pending = append(fs.pending, o)
	}
	return nil
}

// objectsState is the state a tracked source's table publishes: every object listed this run
// (each either loaded now or before), so that deleted objects leave the state.
func objectsState(spec Spec, src Source, p *TablePlan) *StateEntry {
	fs, ok := src.(*fileSource)
	if !ok || !fs.tracked {
		return nil
	}
	st := filesState{Files: make(map[string]objectState, len(fs.objects))}
	for _, o := range fs.objects {
		st.Files[o.Name] = objectState{ETag: o.ETag, Modified: o.Modified.UTC()}
	}
	b, _ := json.Marshal(st)
	return &StateEntry{Pipeline: spec.Pipeline, Table: stateKey(p.Source), Value: string(b)}
}

// openSourceFor opens a source with what the pipeline's config says of it (config.files for
// file sources).
func openSourceFor(ctx context.Context, e Endpoint, cfg Config) (Source, error) {
	var src Source
	var err error
	switch e.Type {
	case "file":
		src, err = OpenFileSource(ctx, e.Config, e.Env, cfg.Files)
	case "s3":
		src, err = OpenS3Source(ctx, e.Config, e.Env, cfg.Files)
	default:
		return OpenSource(ctx, e)
	}
	if fs, ok := src.(*fileSource); ok && (cfg.WriteDisposition == Replace || cfg.WriteDisposition == Merge) {
		// A file has no key of its own: config.primary_key gives the table built by replace
		// (and merge) its primary key.
		fs.primaryKey = cfg.PrimaryKey
	}
	return src, err
}

// emptyAllowed says the source holds no file and config.files.allow_empty allowed it.
func emptyAllowed(src Source) bool {
	fs, ok := src.(*fileSource)
	return ok && len(fs.objects) == 0 && fs.opts.AllowEmpty
}

// retype applies the change a retypeError asks for, once the table's load has stopped, and
// says whether the table is to be loaded again.
func retype(err error) bool {
	var re *retypeError
	if !errors.As(err, &re) {
		return false
	}
	re.apply()
	return true
}

// parseFileURL reads file:///path/to/data.csv[.gz] (?format=… when the name does not say it).
func parseFileURL(u *url.URL) (Endpoint, error) {
	p := u.Path
	if u.Host != "" { // file://relative/path
		p = u.Host + u.Path
	}
	if p == "" {
		return Endpoint{}, errors.New("a file URL names a file: file:///path/to/data.csv")
	}
	if _, err := os.Stat(p); err != nil { //nolint:gosec // the command line's own file, named by whoever runs it
		return Endpoint{}, fmt.Errorf("file %q: %w", p, unwrapPathError(err))
	}
	format := u.Query().Get("format")
	if format == "" {
		name := strings.TrimSuffix(strings.ToLower(path.Base(p)), ".gz")
		switch ext := strings.TrimPrefix(path.Ext(name), "."); ext {
		case "csv", "tsv", "jsonl", "json", "parquet":
			format = ext
		case "ndjson":
			format = "jsonl"
		case "tab":
			format = "tsv"
		}
	}
	switch format {
	case "csv", "tsv", "jsonl", "json", "parquet":
	case "":
		return Endpoint{}, errors.New("the file's name does not say its format: add ?format=csv (tsv, jsonl, json, parquet)")
	default:
		return Endpoint{}, fmt.Errorf("format %q is not one of csv, tsv, jsonl, json, parquet", format)
	}
	return Endpoint{Type: "file", Config: map[string]any{"file_id": 1, "format": format}, Env: connectors.Env{
		Files: func(context.Context, int64) (string, error) { return p, nil },
	}}, nil
}
