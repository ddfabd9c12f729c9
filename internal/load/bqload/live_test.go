package bqload

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	bq "cloud.google.com/go/bigquery"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/iterator"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest"
	"github.com/datanika/datanika/internal/load/sqlgen"
)

// liveConfig reads a real BigQuery project from the connector's live-test variables:
//
//	DATANIKA_TEST_BIGQUERY_CREDENTIALS  a service-account key (the JSON itself)
//	DATANIKA_TEST_BIGQUERY_PROJECT      the project id
//	DATANIKA_TEST_BIGQUERY_LOCATION     optional, US when left out
//
// The account needs BigQuery Data Editor and Job User on the project: every case creates
// datasets of its own and drops them afterwards.
func liveConfig(t *testing.T) map[string]any {
	t.Helper()
	creds, project := os.Getenv("DATANIKA_TEST_BIGQUERY_CREDENTIALS"), os.Getenv("DATANIKA_TEST_BIGQUERY_PROJECT")
	if creds == "" || project == "" {
		t.Skip("live BigQuery load tests need DATANIKA_TEST_BIGQUERY_CREDENTIALS (service-account key JSON) and DATANIKA_TEST_BIGQUERY_PROJECT")
	}
	location := os.Getenv("DATANIKA_TEST_BIGQUERY_LOCATION")
	if location == "" {
		location = "US"
	}
	// The dataset is the connector's required default; the loader uses the pipeline's schema.
	return map[string]any{"project_id": project, "dataset": "datanika_unused", "location": location, "credentials_json": creds}
}

// TestConformanceLive_BigQuery runs the destination conformance suite against real BigQuery.
func TestConformanceLive_BigQuery(t *testing.T) {
	loadtest.Exercise(t, func(t *testing.T) *loadtest.Target {
		cfg := liveConfig(t)
		Register()
		ep := load.Endpoint{Type: "bigquery", Config: cfg}
		ld, err := load.OpenDestination(context.Background(), ep, "information_schema")
		require.NoError(t, err)
		t.Cleanup(func() { _ = ld.Close() })
		dst, ok := ld.(*Destination)
		require.True(t, ok)
		db := sql.OpenDB(liveConnector{client: dst.Client, location: dst.Location})
		t.Cleanup(func() { _ = db.Close() })
		return &loadtest.Target{Endpoint: ep, DB: db, Quote: sqlgen.BigQuery.Quote,
			Text:       func(x string) string { return "CAST(" + x + " AS STRING)" },
			Bind:       func(int) string { return "?" },
			DropSchema: func(s string) string { return "DROP SCHEMA IF EXISTS " + sqlgen.BigQuery.Quote(s) + " CASCADE" },
			// Column names take 300 characters, table names 1,024 bytes: the source's 63 bind.
			MaxIdentifier: 300, NoChecksum: true, Hold: hold}
	})
}

// hold replaces each character BigQuery does not allow in a name of that kind: with "_" in a
// dataset name, with "-" in a table or column name.
func hold(kind, name string) string {
	sub := "-"
	if kind == "schema" {
		sub = "_"
	}
	var b strings.Builder
	for _, r := range name {
		if sqlgen.BigQuery.ValidateName(kind, string(r)) != nil {
			b.WriteString(sub)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// liveConnector is a database/sql driver over the BigQuery client, for the suite to read the
// destination back: one query job per statement, "?" parameters bound by position. BigQuery's
// INFORMATION_SCHEMA views belong to a dataset, so "information_schema.X WHERE table_schema =
// ?" is read from the dataset bound there (a dataset that does not exist has no rows).
type liveConnector struct {
	client   *bq.Client
	location string
}

func (c liveConnector) Connect(context.Context) (driver.Conn, error) { return &liveConn{c}, nil }
func (c liveConnector) Driver() driver.Driver                        { return nil }

type liveConn struct{ c liveConnector }

var infoSchema = regexp.MustCompile(`(?i)FROM information_schema\.(\w+) WHERE table_schema = \?`)

func (c *liveConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	dataset := ""
	if m := infoSchema.FindStringSubmatch(query); m != nil && len(args) > 0 {
		dataset, _ = args[0].Value.(string)
		query = infoSchema.ReplaceAllString(query, "FROM "+sqlgen.BigQuery.Quote(dataset)+".INFORMATION_SCHEMA.$1 WHERE table_schema = ?")
	}
	q := c.c.client.Query(query)
	q.Location = c.c.location
	for _, a := range args {
		q.Parameters = append(q.Parameters, bq.QueryParameter{Value: a.Value})
	}
	it, err := q.Read(ctx)
	if err != nil {
		if dataset != "" && isNotFound(err) {
			return &liveRows{}, nil
		}
		return nil, err
	}
	return &liveRows{it: it}, nil
}

func (c *liveConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	rows, err := c.QueryContext(ctx, query, args)
	if err != nil {
		return nil, err
	}
	_ = rows.Close()
	return driver.RowsAffected(0), nil
}

func (c *liveConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("prepared statements are not supported")
}
func (c *liveConn) Close() error { return nil }
func (c *liveConn) Begin() (driver.Tx, error) {
	return nil, errors.New("transactions are not supported")
}

type liveRows struct {
	it *bq.RowIterator
}

func (r *liveRows) Columns() []string {
	if r.it == nil {
		return []string{"x"}
	}
	out := make([]string, len(r.it.Schema))
	for i, f := range r.it.Schema {
		out[i] = f.Name
	}
	return out
}

func (r *liveRows) Close() error { return nil }

func (r *liveRows) Next(dest []driver.Value) error {
	if r.it == nil {
		return io.EOF
	}
	var row []bq.Value
	err := r.it.Next(&row)
	if errors.Is(err, iterator.Done) {
		return io.EOF
	}
	if err != nil {
		return err
	}
	for i, v := range row {
		switch x := v.(type) {
		case nil, int64, float64, bool, string, []byte:
			dest[i] = x
		default:
			dest[i] = fmt.Sprint(x)
		}
	}
	return nil
}
