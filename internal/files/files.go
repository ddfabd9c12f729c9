package files

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/blob"
	"github.com/datanika/datanika/internal/database"
)

// Service stores and lists an org's files.
type Service struct {
	db       database.DB
	store    blob.Store
	maxBytes int64
	logger   *slog.Logger
}

// NewService returns the files service; uploads over maxBytes are refused.
func NewService(db database.DB, store blob.Store, maxBytes int64, logger *slog.Logger) *Service {
	return &Service{db: db, store: store, maxBytes: maxBytes, logger: logger}
}

// MaxBytes is the upload limit.
func (s *Service) MaxBytes() int64 { return s.maxBytes }

// cleanName keeps the client's file name only as a label: its last path element, printable, at
// most 255 bytes. It never becomes a path.
func cleanName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	for len(name) > 255 {
		_, size := lastRune(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == "/" {
		return "upload"
	}
	return name
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if (s[i] & 0xC0) != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// Upload streams r into blob storage, recognises its format and records it.
func (s *Service) Upload(ctx context.Context, p auth.Principal, filename string, r io.Reader) (dbgen.File, error) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	key := strconv.FormatInt(p.OrgID, 10) + "/" + hex.EncodeToString(b)
	body := &bodyReader{r: r}
	size, sum, err := s.store.Put(ctx, key, body, s.maxBytes)
	if errors.Is(err, blob.ErrTooLarge) {
		return dbgen.File{}, apperr.Newf(apperr.TooLarge, "The file is larger than the %d MB this server accepts.", s.maxBytes>>20)
	}
	if err != nil && body.err != nil {
		// The upload itself broke off (a truncated multipart body, a client gone): the client's
		// fault, and Put kept nothing of it.
		return dbgen.File{}, apperr.New(apperr.BadRequest, "The upload ended before the file was complete; send it again.").WithCause(err)
	}
	if err != nil {
		return dbgen.File{}, fmt.Errorf("store upload: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			_ = s.store.Delete(context.WithoutCancel(ctx), key)
		}
	}()
	f, err := s.store.Open(ctx, key)
	if err != nil {
		return dbgen.File{}, err
	}
	det, err := Detect(f, size)
	_ = f.Close()
	if err != nil {
		return dbgen.File{}, apperr.Invalidf([]apperr.FieldError{{Field: "file", Message: err.Error()}}, "The file's format is not supported.")
	}
	cols, _ := json.Marshal(det.Columns)
	var row dbgen.File
	err = database.InTx(ctx, s.db, database.Scope{OrgID: p.OrgID, UserID: p.UserID}, func(tx pgx.Tx) error {
		var err error
		row, err = dbgen.New(tx).CreateFile(ctx, dbgen.CreateFileParams{
			OrgID: p.OrgID, Name: cleanName(filename), Size: size, Sha256: hex.EncodeToString(sum), Format: det.Format,
			Compression: det.Compression, DetectedColumns: cols, StorageKey: key, CreatedBy: &p.UserID,
		})
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "file.upload", ResourceType: "file", ResourceID: strconv.FormatInt(row.ID, 10),
			New: map[string]any{"name": row.Name, "size": size, "sha256": row.Sha256, "format": row.Format}})
	})
	if err != nil {
		return dbgen.File{}, err
	}
	keep = true
	return row, nil
}

// bodyReader remembers the error of reading the upload, so that a broken upload is told apart
// from a failing store.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		b.err = err
	}
	return n, err
}

// List pages the org's files.
func (s *Service) List(ctx context.Context, p auth.Principal, afterID int64, limit int32) ([]dbgen.File, error) {
	var out []dbgen.File
	err := database.InTx(ctx, s.db, database.Scope{OrgID: p.OrgID, UserID: p.UserID}, func(tx pgx.Tx) error {
		var err error
		out, err = dbgen.New(tx).ListFiles(ctx, dbgen.ListFilesParams{OrgID: p.OrgID, AfterID: afterID, Lim: limit})
		return err
	})
	return out, err
}

// Delete removes a file; its bytes go once the row is gone.
func (s *Service) Delete(ctx context.Context, p auth.Principal, id int64) error {
	var row dbgen.File
	err := database.InTx(ctx, s.db, database.Scope{OrgID: p.OrgID, UserID: p.UserID}, func(tx pgx.Tx) error {
		var err error
		row, err = dbgen.New(tx).SoftDeleteFile(ctx, dbgen.SoftDeleteFileParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No file %d.", id)
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "file.delete", ResourceType: "file", ResourceID: strconv.FormatInt(id, 10),
			Old: map[string]any{"name": row.Name, "sha256": row.Sha256}})
	})
	if err != nil {
		return err
	}
	if err := s.store.Delete(ctx, row.StorageKey); err != nil {
		s.logger.WarnContext(ctx, "delete file bytes", "file_id", id, "error", err)
	}
	return nil
}

// Path returns a local file holding an upload of the principal's org, for connectors that read
// uploaded files (sqlite, file): the stored file itself, or with S3 blob storage a checked
// local copy. The id comes from a connection's config; the path never comes from a user.
func (s *Service) Path(ctx context.Context, p auth.Principal, id int64) (string, error) {
	var row dbgen.File
	err := database.InTx(ctx, s.db, database.Scope{OrgID: p.OrgID, UserID: p.UserID}, func(tx pgx.Tx) error {
		var err error
		row, err = dbgen.New(tx).GetFile(ctx, dbgen.GetFileParams{OrgID: p.OrgID, ID: id})
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.NotFoundf("No file %d.", id)
	}
	if err != nil {
		return "", err
	}
	path, err := s.store.LocalPath(ctx, row.StorageKey)
	if err != nil {
		// The cause may name the blob storage's host: it goes to the log, not to the user.
		s.logger.ErrorContext(ctx, "read file bytes", "file_id", id, "error", err)
		return "", errors.New("its stored bytes cannot be read now")
	}
	return path, nil
}
