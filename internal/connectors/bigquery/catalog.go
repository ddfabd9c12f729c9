package bigquery

import (
	"context"
	"errors"
	"strings"

	bq "cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"

	"github.com/datanika/datanika/internal/connectors"
)

// catalogSQL lists the tables, views and columns of the configured dataset from its
// INFORMATION_SCHEMA (dataset-qualified, so it runs in the dataset's own region), with the
// columns of each primary key. Hidden pseudo-columns (_PARTITIONTIME…) are left out.
func catalogSQL(project, dataset string) string {
	ds := quote(project) + "." + quote(dataset) + ".INFORMATION_SCHEMA."
	return `SELECT c.table_name,
       CASE WHEN t.table_type IN ('VIEW', 'MATERIALIZED VIEW') THEN 'view' ELSE 'table' END AS kind,
       c.column_name, c.data_type, c.is_nullable = 'YES' AS nullable,
       k.column_name IS NOT NULL AS primary_key
FROM ` + ds + `COLUMNS AS c
JOIN ` + ds + `TABLES AS t ON t.table_name = c.table_name
LEFT JOIN (
  SELECT u.table_name, u.column_name
  FROM ` + ds + `KEY_COLUMN_USAGE AS u
  JOIN ` + ds + `TABLE_CONSTRAINTS AS tc
    ON tc.constraint_name = u.constraint_name AND tc.table_name = u.table_name
  WHERE tc.constraint_type = 'PRIMARY KEY'
) AS k ON k.table_name = c.table_name AND k.column_name = c.column_name
WHERE c.is_hidden = 'NO'
ORDER BY c.table_name, c.ordinal_position`
}

// quote makes a GoogleSQL quoted identifier. The schema already refuses backticks in names;
// escaping anyway keeps the SQL correct whatever reaches here.
func quote(name string) string {
	r := strings.NewReplacer("\\", "\\\\", "`", "\\`")
	return "`" + r.Replace(name) + "`"
}

// Catalog lists the configured dataset (BigQuery's schema) with its tables, views and columns.
func (c *Connector) Catalog(ctx context.Context) ([]connectors.Schema, error) {
	ctx, cancel := context.WithTimeout(ctx, connectors.TestTimeout+c.statementTimeout)
	defer cancel()
	client, closeFn, err := c.client(ctx)
	if err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	defer closeFn()
	out, err := c.catalog(ctx, client)
	if err != nil {
		return nil, connectors.ScrubError(err, c.secrets)
	}
	return out, nil
}

func (c *Connector) catalog(ctx context.Context, client *bq.Client) ([]connectors.Schema, error) {
	q := c.query(client, catalogSQL(c.cfg.ProjectID, c.cfg.Dataset))
	q.JobTimeout = c.statementTimeout
	it, err := q.Read(ctx)
	if err != nil {
		return nil, err
	}
	s := connectors.Schema{Name: c.cfg.Dataset, Tables: []connectors.Table{}}
	for {
		var row struct {
			TableName  string `bigquery:"table_name"`
			Kind       string `bigquery:"kind"`
			ColumnName string `bigquery:"column_name"`
			DataType   string `bigquery:"data_type"`
			Nullable   bool   `bigquery:"nullable"`
			PrimaryKey bool   `bigquery:"primary_key"`
		}
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, err
		}
		if n := len(s.Tables); n == 0 || s.Tables[n-1].Name != row.TableName {
			s.Tables = append(s.Tables, connectors.Table{Name: row.TableName, Kind: row.Kind})
		}
		t := &s.Tables[len(s.Tables)-1]
		t.Columns = append(t.Columns, connectors.Column{Name: row.ColumnName, Type: row.DataType,
			Nullable: row.Nullable, PrimaryKey: row.PrimaryKey})
	}
	return []connectors.Schema{s}, nil
}
