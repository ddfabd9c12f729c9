// Package file is the Uploaded file connection type: one file uploaded through /files (csv,
// tsv, jsonl, json or parquet, optionally gzip). Files are never named by path: file_id refers to
// an upload of the connection's org, resolved through the host's FileResolver. A test checks the
// file is there and is what the config says; the catalog is the file as one table with the
// columns recognised from its content. (Reading its rows belongs to the load engine.)
package file

import (
	"context"
	_ "embed" // the config schema
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/files"
)

//go:embed schema.json
var schema []byte

// Type is the "file" connection type.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "file",
		Label:        "Uploaded file",
		Capabilities: connectors.Capabilities{Source: true},
		ConfigSchema: schema,
		Open:         open,
	}
}

// config is the file type's config (see schema.json).
type config struct {
	FileID      int64  `json:"file_id"`
	Format      string `json:"format"`
	Compression string `json:"compression"`
}

type connector struct {
	config
	resolve connectors.FileResolver
}

func open(raw map[string]any, env connectors.Env) (connectors.Connector, error) {
	if env.Files == nil {
		return nil, errors.New("uploaded files are not available here")
	}
	cfg, err := connectors.DecodeConfig("file", raw, config{Compression: "none"})
	if err != nil {
		return nil, err
	}
	return &connector{config: cfg, resolve: env.Files}, nil
}

// inspect opens the upload and recognises its content.
func (c *connector) inspect(ctx context.Context) (files.Detection, error) {
	path, err := c.resolve(ctx, c.FileID)
	if err != nil {
		return files.Detection{}, fmt.Errorf("file %d: %w", c.FileID, err)
	}
	f, err := os.Open(path) //nolint:gosec // resolved from an upload id, never a user's path
	if err != nil {
		return files.Detection{}, fmt.Errorf("file %d cannot be read", c.FileID)
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return files.Detection{}, err
	}
	det, err := files.Detect(f, st.Size())
	if err != nil {
		return files.Detection{}, err
	}
	if det.Format != c.Format || det.Compression != c.Compression {
		return det, fmt.Errorf("file %d is %s (%s), not %s (%s) as configured", c.FileID, det.Format, det.Compression, c.Format, c.Compression)
	}
	return det, nil
}

// Test checks that the file exists and holds what the config says.
func (c *connector) Test(ctx context.Context) connectors.Result {
	return connectors.Probe(ctx, nil, func(ctx context.Context) error {
		_, err := c.inspect(ctx)
		return err
	})
}

// Catalog shows the file as one table, "file_<id>" in schema "file".
func (c *connector) Catalog(ctx context.Context) ([]connectors.Schema, error) {
	det, err := c.inspect(ctx)
	if err != nil {
		return nil, err
	}
	cols := make([]connectors.Column, 0, len(det.Columns))
	for _, col := range det.Columns {
		cols = append(cols, connectors.Column{Name: col.Name, Type: col.Type, Nullable: true})
	}
	return []connectors.Schema{{Name: "file", Tables: []connectors.Table{{
		Name: "file_" + strconv.FormatInt(c.FileID, 10), Kind: connectors.KindTable, Columns: cols,
	}}}}, nil
}
