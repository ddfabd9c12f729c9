package bqload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	bq "cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/sqlgen"
)

// rejectedRow is one element of the @rejected parameter of the dialect's RejectedInsert.
type rejectedRow struct {
	ColumnName string `bigquery:"column_name"`
	Reason     string `bigquery:"reason"`
	Row        string `bigquery:"row"`
}

// conflictRetries is how often a publishing script that BigQuery aborted for a concurrent
// update of one of its tables (another pipeline publishing into the dataset's bookkeeping
// tables) is run again. Running it again is safe: an aborted script committed nothing, and the
// guard skips the data of a run that did commit.
const conflictRetries = 4

// Abort drops staging.
func (l *tableLoad) Abort() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, s := range l.sc.Cleanup {
		_, _ = l.dst.query(ctx, s.SQL, s.Args)
	}
}

// Publish runs the publishing script: one query job, one transaction.
func (l *tableLoad) Publish(ctx context.Context, pub load.Publication) (out load.Published, err error) {
	dst := l.dst
	if pub.ExpectChecksum != nil {
		return out, fmt.Errorf("verify: checksum is not supported by the bigquery destination yet; use verify: count")
	}
	defer l.Abort() // drops staging whatever happens
	if pub.ExpectRows >= 0 && l.staged != pub.ExpectRows {
		return out, fmt.Errorf("%w: table %q: the source has %d rows in the window, the destination received %d",
			load.ErrVerify, l.tp.Name, pub.ExpectRows, l.staged)
	}
	p := *l.plan
	p.State = pub.State
	sc, err := dialect.Script(&p)
	if err != nil {
		return out, err
	}
	if pub.Ledger != nil {
		if _, err := dst.query(ctx, ledgerDDL(dst.Dataset), nil); err != nil {
			return out, fmt.Errorf("create %s: %w", load.LedgerTable, err)
		}
	}
	script, args, err := publishScript(sc, &p, l.staged, pub)
	if err != nil {
		return out, err
	}
	for attempt := 0; ; attempt++ {
		j, qerr := dst.query(ctx, script, args)
		if qerr != nil {
			if attempt < conflictRetries && strings.Contains(qerr.Error(), "concurrent update") {
				select {
				case <-ctx.Done():
					return out, qerr
				case <-time.After(time.Duration(attempt+1) * time.Second):
				}
				continue
			}
			return out, fmt.Errorf("publish %q: %w", l.tp.Name, qerr)
		}
		row, rerr := firstRow(ctx, j)
		if rerr != nil || len(row) != 2 {
			return out, fmt.Errorf("publish %q: the script's result: %w", l.tp.Name, dst.scrub(rerr))
		}
		already, _ := row[0].(int64)
		written, _ := row[1].(int64)
		out.AlreadyPublished = already > 0
		if !out.AlreadyPublished {
			out.RowsWritten = written
		}
		return out, nil
	}
}

// ledgerDDL creates the ledger (DDL cannot be in the transaction).
func ledgerDDL(dataset string) string {
	return "CREATE TABLE IF NOT EXISTS " + dialect.Quote(dataset) + "." + dialect.Quote(load.LedgerTable) +
		" (run_id STRING NOT NULL, table_name STRING NOT NULL, pipeline STRING NOT NULL, attempt STRING NOT NULL," +
		" rows_written INT64 NOT NULL, cursor_value STRING, published_at TIMESTAMP NOT NULL," +
		" PRIMARY KEY (run_id, table_name) NOT ENFORCED)"
}

// publishScript is the dialect's Begin … Commit as one BigQuery script, and the parameters of
// all its statements. It ends with SELECT already, written: whether the guard found the run's
// rows (its data then skipped), and the rows the data wrote (for merge, the distinct keys
// staged).
func publishScript(sc *sqlgen.Script, p *sqlgen.Plan, staged int64, pub load.Publication) (string, []sqlgen.Arg, error) {
	var b strings.Builder
	var args []sqlgen.Arg
	var err error
	add := func(st sqlgen.Statement, indent string) {
		b.WriteString(indent + strings.TrimSuffix(st.SQL, ";") + ";\n")
		for _, a := range st.Args {
			if err == nil {
				args, err = bind(args, a)
			}
		}
	}
	b.WriteString("DECLARE already INT64 DEFAULT 0;\nDECLARE written INT64 DEFAULT 0;\n")
	for _, s := range sc.Begin {
		add(s, "")
	}
	if sc.Guard.SQL != "" {
		add(sqlgen.Statement{SQL: "SET already = (" + sc.Guard.SQL + ")", Args: sc.Guard.Args}, "")
	}
	b.WriteString("IF already = 0 THEN\n")
	if p.Disposition == load.Merge {
		keys := make([]string, len(p.Keys))
		for i, k := range p.Keys {
			keys[i] = dialect.Quote(k)
		}
		add(sqlgen.Statement{SQL: "SET written = (SELECT COUNT(*) FROM (SELECT DISTINCT " + strings.Join(keys, ", ") +
			" FROM " + sc.Stage + ") AS k)"}, "  ")
	} else {
		add(sqlgen.Statement{SQL: "SET written = @staged", Args: []sqlgen.Arg{{Name: "staged", Value: staged}}}, "  ")
	}
	for _, s := range sc.Data {
		add(s, "  ")
	}
	if len(pub.Rejected) > 0 {
		rows := make([]rejectedRow, len(pub.Rejected))
		for i, r := range pub.Rejected {
			raw, jerr := json.Marshal(r.Row)
			if jerr != nil {
				raw = []byte("{}")
			}
			rows[i] = rejectedRow{ColumnName: r.Column, Reason: r.Reason, Row: string(raw)}
		}
		st := sc.RejectedInsert
		st.Args = append([]sqlgen.Arg(nil), st.Args...)
		for i := range st.Args {
			if st.Args[i].Name == "rejected" {
				st.Args[i].Value = rows
			}
		}
		add(st, "  ")
	}
	if pub.Ledger != nil {
		add(sqlgen.Statement{SQL: "MERGE INTO " + dialect.Quote(p.Schema) + "." + dialect.Quote(load.LedgerTable) + " AS t" +
			" USING (SELECT @run_id AS run_id, @table_name AS table_name) AS s ON t.run_id = s.run_id AND t.table_name = s.table_name" +
			" WHEN MATCHED THEN UPDATE SET attempt = @ledger_attempt, rows_written = written," +
			" cursor_value = NULLIF(@ledger_cursor, ''), published_at = CURRENT_TIMESTAMP()" +
			" WHEN NOT MATCHED THEN INSERT (run_id, table_name, pipeline, attempt, rows_written, cursor_value, published_at)" +
			" VALUES (s.run_id, s.table_name, @ledger_pipeline, @ledger_attempt, written, NULLIF(@ledger_cursor, ''), CURRENT_TIMESTAMP())",
			Args: []sqlgen.Arg{{Name: "run_id", Value: p.RunID}, {Name: "table_name", Value: p.Table},
				{Name: "ledger_pipeline", Value: pub.Ledger.Pipeline}, {Name: "ledger_attempt", Value: pub.Ledger.Attempt},
				{Name: "ledger_cursor", Value: pub.Ledger.Cursor}}}, "  ")
	}
	b.WriteString("END IF;\n")
	for _, s := range sc.State {
		add(s, "")
	}
	for _, s := range sc.Commit {
		add(s, "")
	}
	b.WriteString("SELECT already, written;\n")
	return b.String(), args, err
}

// bind adds a parameter once; the same name twice must mean the same value.
func bind(args []sqlgen.Arg, a sqlgen.Arg) ([]sqlgen.Arg, error) {
	for _, have := range args {
		if have.Name == a.Name {
			if !reflect.DeepEqual(have.Value, a.Value) {
				return nil, fmt.Errorf("parameter @%s of the publishing script has two values", a.Name)
			}
			return args, nil
		}
	}
	return append(args, a), nil
}

// Published reads the ledger: what each table published by attempt.
func (dst *Destination) Published(ctx context.Context, attempt string) (map[string]int64, error) {
	out := map[string]int64{}
	cols, err := dst.columnsOf(ctx, load.LedgerTable)
	if err != nil || len(cols) == 0 {
		return out, err
	}
	job, err := dst.query(ctx, "SELECT table_name, rows_written FROM "+dialect.Quote(dst.Dataset)+"."+dialect.Quote(load.LedgerTable)+
		" WHERE attempt = @attempt", []sqlgen.Arg{{Name: "attempt", Value: attempt}})
	if err != nil {
		return nil, err
	}
	it, err := job.Read(ctx)
	if err != nil {
		return nil, dst.scrub(err)
	}
	for {
		var row []bq.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, dst.scrub(err)
		}
		t, _ := row[0].(string)
		n, _ := row[1].(int64)
		out[t] = n
	}
}
