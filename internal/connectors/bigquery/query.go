package bigquery

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	bq "cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"

	"github.com/datanika/datanika/internal/connectors"
)

// ErrNotAQuery is returned when BigQuery says a statement is not a SELECT.
var ErrNotAQuery = errors.New("only a single SELECT statement can be run here")

// Query runs one SELECT: BigQuery dry-runs it first and anything but a SELECT is refused
// without running (see the package comment); the job has a timeout and at most limit+1 rows
// are fetched.
func (c *Connector) Query(ctx context.Context, sql string, limit int) (connectors.QueryResult, error) {
	limit = connectors.RowLimit(limit)
	ctx, cancel := context.WithTimeout(ctx, connectors.TestTimeout+c.statementTimeout)
	defer cancel()
	client, closeFn, err := c.client(ctx)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	defer closeFn()

	kind, err := c.statementType(ctx, client, sql)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	if kind != "SELECT" {
		// Our own words (not scrubbed, so errors.Is still tells the refusal).
		return connectors.QueryResult{}, fmt.Errorf("%w: BigQuery describes it as %s", ErrNotAQuery, kind)
	}
	res, err := c.read(ctx, client, sql, limit)
	if err != nil {
		return connectors.QueryResult{}, connectors.ScrubError(err, c.secrets)
	}
	return res, nil
}

// query makes a query job on the configured dataset: unqualified table names are its tables.
func (c *Connector) query(client *bq.Client, sql string) *bq.Query {
	q := client.Query(sql)
	q.DefaultProjectID = c.cfg.ProjectID
	q.DefaultDatasetID = c.cfg.Dataset
	q.Location = c.cfg.Location
	q.Labels = map[string]string{"client": "datanika"}
	return q
}

// statementType dry-runs sql and returns the statement type BigQuery found ("SELECT",
// "INSERT", "CREATE_TABLE", "SCRIPT"…). A text BigQuery cannot parse or plan is its error.
func (c *Connector) statementType(ctx context.Context, client *bq.Client, sql string) (string, error) {
	q := c.query(client, sql)
	q.DryRun = true
	job, err := q.Run(ctx)
	if err != nil {
		return "", err
	}
	status := job.LastStatus()
	if status == nil || status.Statistics == nil {
		return "", errors.New("the dry run answered no statistics")
	}
	if err := status.Err(); err != nil {
		return "", err
	}
	stats, ok := status.Statistics.Details.(*bq.QueryStatistics)
	if !ok || stats.StatementType == "" {
		return "", errors.New("the dry run did not say what the statement is")
	}
	return stats.StatementType, nil
}

func (c *Connector) read(ctx context.Context, client *bq.Client, sql string, limit int) (connectors.QueryResult, error) {
	q := c.query(client, sql)
	q.JobTimeout = c.statementTimeout // BigQuery cancels the job past it
	it, err := q.Read(ctx)
	if err != nil {
		return connectors.QueryResult{}, err
	}
	// One row more than the limit tells whether there were more; no further page is fetched.
	it.PageInfo().MaxSize = limit + 1
	res := connectors.QueryResult{Rows: [][]any{}}
	for {
		var row []bq.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return connectors.QueryResult{}, err
		}
		if res.Columns == nil {
			res.Columns = columnNames(it.Schema)
		}
		if len(res.Rows) == limit {
			res.Truncated = true
			break
		}
		res.Rows = append(res.Rows, rowValues(it.Schema, row))
	}
	if res.Columns == nil {
		res.Columns = columnNames(it.Schema)
	}
	return res, nil
}

func columnNames(s bq.Schema) []string {
	out := make([]string, len(s))
	for i, f := range s {
		out[i] = f.Name
	}
	return out
}

func rowValues(s bq.Schema, row []bq.Value) []any {
	out := make([]any, len(row))
	for i, v := range row {
		var f *bq.FieldSchema
		if i < len(s) {
			f = s[i]
		}
		out[i] = jsonValue(f, v)
	}
	return out
}

// jsonValue converts what the client decodes: NUMERIC and BIGNUMERIC (*big.Rat) as their
// exact decimal text, DATE/TIME/DATETIME (civil types) in their BigQuery spelling, BYTES as
// base64, TIMESTAMP as RFC 3339, repeated fields as arrays and records as objects.
func jsonValue(f *bq.FieldSchema, v bq.Value) any {
	if f != nil && f.Repeated {
		list, ok := v.([]bq.Value)
		if ok {
			elem := *f
			elem.Repeated = false
			out := make([]any, len(list))
			for i, e := range list {
				out[i] = jsonValue(&elem, e)
			}
			return out
		}
	}
	switch x := v.(type) {
	case nil:
		return nil
	case *big.Rat:
		if f != nil && f.Type == bq.BigNumericFieldType {
			return trimZeros(bq.BigNumericString(x))
		}
		return trimZeros(bq.NumericString(x))
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []bq.Value:
		if f != nil && f.Type == bq.RecordFieldType {
			obj := make(map[string]any, len(x))
			for i, e := range x {
				if i < len(f.Schema) {
					obj[f.Schema[i].Name] = jsonValue(f.Schema[i], e)
				}
			}
			return obj
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(nil, e)
		}
		return out
	}
	return connectors.JSONValue(v)
}

// trimZeros drops the trailing zeros of the fixed-scale text the client spells decimals in
// ("1.500000000" → "1.5", "100.000000000" → "100").
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}
