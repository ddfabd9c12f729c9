package transformation

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// MaxSeedBytes bounds the CSV a seed holds (dbt's seeds are small reference tables).
const MaxSeedBytes = 10 << 20

// SeedInput is a new seed from an uploaded CSV file.
type SeedInput struct {
	Name                    *string
	Description             *string
	FileID                  int64
	Schema                  *string
	ColumnTypes             map[string]string
	DestinationConnectionID *int64
}

// Seed is a stored seed without its CSV.
type Seed struct {
	dbgen.Seed
	ColumnTypes map[string]string
}

func openSeed(s dbgen.Seed) Seed {
	out := Seed{Seed: s, ColumnTypes: map[string]string{}}
	_ = json.Unmarshal(s.ColumnTypes, &out.ColumnTypes)
	out.Csv = nil
	return out
}

func seedAudit(s dbgen.Seed) map[string]any {
	return map[string]any{"name": s.Name, "description": s.Description, "file_id": s.FileID, "schema_name": s.SchemaName,
		"destination_connection_id": s.DestinationConnectionID, "row_count": s.RowCount}
}

var notIdentChar = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// seedName is the default name of a seed: the file's name without extensions, as an identifier.
func seedName(file string) string {
	base := path.Base(strings.ReplaceAll(file, "\\", "/"))
	if i := strings.Index(base, "."); i > 0 {
		base = base[:i]
	}
	base = strings.Trim(notIdentChar.ReplaceAllString(base, "_"), "_")
	if base == "" || (base[0] >= '0' && base[0] <= '9') {
		base = "seed_" + base
	}
	return base
}

// countCSV checks a seed's CSV (a header and rows of its width) and counts its data rows.
func countCSV(b []byte) (int64, string) {
	r := csv.NewReader(bytes.NewReader(b))
	header, err := r.Read()
	if err != nil {
		return 0, "is not a CSV file with a header row"
	}
	for _, h := range header {
		if strings.TrimSpace(h) == "" {
			return 0, "has an empty column name in its header"
		}
	}
	var n int64
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			return n, ""
		}
		if err != nil {
			return 0, "is not valid CSV: " + err.Error()
		}
		n++
	}
}

// CreateSeed copies an uploaded CSV into a new seed of the destination's project.
func (s *Service) CreateSeed(ctx context.Context, p auth.Principal, in SeedInput) (Seed, error) {
	var out Seed
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		var fields []apperr.FieldError
		add := func(f *apperr.FieldError) {
			if f != nil {
				fields = append(fields, *f)
			}
		}
		file, err := q.GetFile(ctx, dbgen.GetFileParams{OrgID: p.OrgID, ID: in.FileID})
		var data []byte
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			add(&apperr.FieldError{Field: "file_id", Message: "no such file"})
		case err != nil:
			return err
		case file.Format != "csv" || file.Compression != "none":
			add(&apperr.FieldError{Field: "file_id", Message: "must be an uncompressed CSV file"})
		case file.Size > MaxSeedBytes:
			add(&apperr.FieldError{Field: "file_id", Message: "is larger than a seed may be (10 MiB); load it with a pipeline"})
		default:
			if data, err = s.readFile(ctx, p, file.ID); err != nil {
				add(&apperr.FieldError{Field: "file_id", Message: "cannot be read: " + err.Error()})
			}
		}
		name := seedName(file.Name)
		if in.Name != nil {
			name = strings.TrimSpace(*in.Name)
		}
		add(checkIdentifier("name", name))
		desc := ""
		if in.Description != nil {
			desc = *in.Description
			add(checkDescription(desc))
		}
		add(checkSchemaName("schema_name", in.Schema))
		var rows int64
		if data != nil {
			var msg string
			if rows, msg = countCSV(data); msg != "" {
				add(&apperr.FieldError{Field: "file_id", Message: msg})
			}
		}
		conn, f, err := destination(ctx, q, p, in.DestinationConnectionID, "destination_connection_id")
		if err != nil {
			return err
		}
		add(f)
		if len(fields) > 0 {
			return apperr.Invalidf(fields, "The seed is invalid.")
		}
		types := in.ColumnTypes
		if types == nil {
			types = map[string]string{}
		}
		rawTypes, err := json.Marshal(types)
		if err != nil {
			return err
		}
		l, err := s.load(ctx, q, p, conn)
		if err != nil {
			return err
		}
		for _, m := range l.in.Models {
			if strings.EqualFold(m.Name, name) {
				return apperr.Conflictf("A transformation named %q already exists; ref() could not tell them apart.", name)
			}
		}
		after := l.in.clone()
		after.Seeds = append(after.Seeds, SeedFile{Name: name, Description: desc, CSV: data, Schema: in.Schema, ColumnTypes: types})
		if _, err := l.check(ctx, after, "seed"); err != nil {
			return err
		}
		fileID := file.ID
		row, err := q.CreateSeed(ctx, dbgen.CreateSeedParams{OrgID: p.OrgID, Name: name, Description: desc, FileID: &fileID,
			DestinationConnectionID: conn.ID, SchemaName: in.Schema, ColumnTypes: rawTypes, Csv: data, RowCount: rows, CreatedBy: userID(p)})
		if uniqueViolation(err, "seeds_name") {
			return apperr.Conflictf("A seed named %q already exists.", name)
		}
		if err != nil {
			return err
		}
		out = openSeed(row)
		return writeAudit(ctx, tx, p, "seed.create", "seed", row.ID, nil, seedAudit(row))
	})
	return out, err
}

// GetSeed returns a seed of the org.
func (s *Service) GetSeed(ctx context.Context, p auth.Principal, id int64) (Seed, error) {
	var out Seed
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		row, err := q.GetSeed(ctx, dbgen.GetSeedParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No seed %d.", id)
		}
		out = openSeed(row)
		return err
	})
	return out, err
}

// ListSeeds pages the org's seeds.
func (s *Service) ListSeeds(ctx context.Context, p auth.Principal, afterID int64, limit int32) ([]Seed, error) {
	var out []Seed
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		rows, err := q.ListSeeds(ctx, dbgen.ListSeedsParams{OrgID: p.OrgID, AfterID: afterID, Lim: limit})
		for _, r := range rows {
			out = append(out, openSeed(r))
		}
		return err
	})
	return out, err
}

// DeleteSeed removes a seed unless a model still refers to it (422).
func (s *Service) DeleteSeed(ctx context.Context, p auth.Principal, id int64) error {
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		row, err := q.GetSeed(ctx, dbgen.GetSeedParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No seed %d.", id)
		}
		if err != nil {
			return err
		}
		conn, err := q.LockDestinationConnection(ctx, dbgen.LockDestinationConnectionParams{OrgID: p.OrgID, ID: row.DestinationConnectionID})
		if err == nil && DialectOf(conn.Type) != nil {
			l, err := s.load(ctx, q, p, conn)
			if err != nil {
				return err
			}
			after := l.in.clone()
			i := l.seedIDs[id]
			after.Seeds = append(after.Seeds[:i], after.Seeds[i+1:]...)
			if _, err := l.check(ctx, after, "deletion of the seed"); err != nil {
				return err
			}
		}
		if _, err := q.DeleteSeed(ctx, dbgen.DeleteSeedParams{OrgID: p.OrgID, ID: id}); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, "seed.delete", "seed", id, seedAudit(row), nil)
	})
}
