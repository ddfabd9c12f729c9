package run

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/connection"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/load"
)

// addToCatalog records the tables a successful run loaded as `source` entries of the
// destination connection's catalog (catalog_entries, origin 'source', kind 'table'), so that
// transformations can name them {{ source('<destination_schema>', '<table>') }}. Columns come
// from the destination's own catalog when it has one (names, types, nullability, keys, the
// loader's _dnk_ columns included); otherwise the entry is stored with no columns. A failure
// here is logged and leaves the run a success: the data is loaded either way.
func (w *PipelineRunWorker) addToCatalog(ctx context.Context, p auth.Principal, dst connection.Connection, schema string,
	tables []load.TableStats, env connectors.Env, runLog *slog.Logger) {
	if len(tables) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	columns := map[string][]connectors.Column{}
	if c, err := w.cfg.Connections.Registry().Open(dst.Type, dst.Config, env); err == nil {
		if cat, ok := c.(connectors.Cataloger); ok {
			schemas, err := cat.Catalog(ctx)
			if err != nil {
				runLog.Warn("the destination's catalog could not be read; tables recorded without columns", "error", err)
			}
			for _, s := range schemas {
				if s.Name != schema {
					continue
				}
				for _, t := range s.Tables {
					columns[t.Name] = t.Columns
				}
			}
		}
	}
	err := database.InTx(ctx, w.cfg.Pool, database.Scope{OrgID: p.OrgID}, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		for _, t := range tables {
			cols := columns[t.Name]
			if cols == nil {
				cols = []connectors.Column{}
			}
			raw, _ := json.Marshal(cols)
			if err := q.UpsertSourceCatalogEntry(ctx, dbgen.UpsertSourceCatalogEntryParams{
				OrgID: p.OrgID, ConnectionID: dst.ID, SchemaName: schema, TableName: t.Name, Columns: raw,
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		runLog.Warn("the loaded tables could not be added to the catalog", "error", err)
		return
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.Name
	}
	runLog.Info("catalog updated", "connection_id", dst.ID, "schema", schema, "tables", names)
}
