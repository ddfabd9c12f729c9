package sqlgen

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/datanika/datanika/internal/load"
)

// BigQuery is Google BigQuery's dialect.
//
// BigQuery's multi-statement transactions take DML only, and no DDL on permanent tables. So
// Prepare (outside the transaction) creates the dataset, the bookkeeping tables, the target
// when it is new (empty until the first publish commits) and evolve's columns; staging is a
// permanent table with a 24-hour expiration, so one a crash leaves behind expires by itself.
// Then one script — BEGIN TRANSACTION … COMMIT TRANSACTION, run as one query job — publishes
// the data, the rejected rows and the state together: append INSERTs, merge MERGEs, and
// replace DELETEs every row and INSERTs the new ones (readers see old or new: snapshot
// isolation), so the state commits with it rather than after a CREATE OR REPLACE.
var BigQuery Dialect = bigqueryDialect{}

type bigqueryDialect struct{}

func (bigqueryDialect) Name() string { return "bigquery" }

// Quote back-quotes a name; a backtick or a backslash inside is escaped with a backslash
// (ValidateName refuses both in the names BigQuery allows, so this is belt and braces).
func (bigqueryDialect) Quote(name string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`")
	return "`" + r.Replace(name) + "`"
}

// reservedColumnPrefixes are the column name prefixes BigQuery keeps for itself.
var reservedColumnPrefixes = []string{"_table_", "_file_", "_partition", "_row_timestamp", "__root__", "_colidentifier"}

// ValidateName applies BigQuery's rules: a dataset is letters, digits and underscores (1,024
// at most); a table up to 1,024 bytes of letters, marks, digits, connectors, dashes and
// spaces; a column up to 300 characters of those and & % = + : ' < > # | (flexible column
// names), not starting with a reserved prefix. Quotes, backticks, semicolons, dots and
// brackets cannot be in a BigQuery name at all: such a name fails the plan, naming it.
func (bigqueryDialect) ValidateName(kind, name string) error {
	max, bytes := 300, false
	switch kind {
	case "schema":
		max = 1024
	case "table":
		max, bytes = 1024, true
	}
	if err := validateCommon("BigQuery", kind, name, max, bytes); err != nil {
		return err
	}
	for _, r := range name {
		ok := false
		switch kind {
		case "schema":
			ok = r == '_' || (r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)))
		case "table":
			ok = unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.Pc, unicode.Pd, unicode.Zs)
		default:
			ok = unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.Pc, unicode.Pd, unicode.Zs) || strings.ContainsRune("&%=+:'<>#|", r)
		}
		if !ok {
			return fmt.Errorf("%w: %s name %q holds %q, which BigQuery does not allow in a %s name", ErrName, kind, name, r, kind)
		}
	}
	if kind == "column" {
		for _, pre := range reservedColumnPrefixes {
			if strings.HasPrefix(strings.ToLower(name), pre) {
				return fmt.Errorf("%w: column name %q starts with %q, which BigQuery reserves", ErrName, name, pre)
			}
		}
	}
	return nil
}

// ColumnType maps a kind to BigQuery DDL. All integers are INT64 and both floats FLOAT64
// (exact for float32). NUMERIC holds 29 integer and 9 fractional digits: decimal(p,s) is
// NUMERIC(p,s) when it fits there (s <= 9, p-s <= 29) and BIGNUMERIC(p,s) otherwise (38
// digits each side), so numeric(38,10) is BIGNUMERIC(38,10), exact; an unconstrained
// decimal is BIGNUMERIC. Interval travels as STRING (its canonical text).
func (bigqueryDialect) ColumnType(t load.Type, _ bool) string {
	switch t.Kind {
	case load.KindInt16, load.KindInt32, load.KindInt64:
		return "INT64"
	case load.KindDecimal:
		if t.Precision <= 0 {
			return "BIGNUMERIC"
		}
		p, s := t.Precision, t.Scale
		if s <= 9 && p-s <= 29 {
			return fmt.Sprintf("NUMERIC(%d, %d)", max(p, 1), s)
		}
		s = min(s, 38)
		p = min(p, s+38)
		return fmt.Sprintf("BIGNUMERIC(%d, %d)", p, s)
	case load.KindFloat32, load.KindFloat64:
		return "FLOAT64"
	case load.KindBool:
		return "BOOL"
	case load.KindBytes:
		return "BYTES"
	case load.KindDate:
		return "DATE"
	case load.KindTime:
		return "TIME"
	case load.KindTimestamp:
		return "DATETIME"
	case load.KindTimestampTZ:
		return "TIMESTAMP"
	case load.KindJSON:
		return "JSON"
	default: // text, uuid, interval
		return "STRING"
	}
}

func (d bigqueryDialect) qualified(schema, table string) string {
	return d.Quote(schema) + "." + d.Quote(table)
}

func (d bigqueryDialect) Script(p *Plan) (*Script, error) {
	if err := check(d, p); err != nil {
		return nil, err
	}
	target := d.qualified(p.Schema, p.Table)
	sc := &Script{Dialect: d.Name(), Transactional: true}
	sc.Prepare = append(sc.Prepare, stmt("CREATE SCHEMA IF NOT EXISTS "+d.Quote(p.Schema)))
	if p.State != nil {
		sc.Prepare = append(sc.Prepare, stmt("CREATE TABLE IF NOT EXISTS "+d.qualified(p.Schema, load.StateTable)+
			" (pipeline STRING NOT NULL, table_name STRING NOT NULL, cursor_value STRING NOT NULL, updated_at TIMESTAMP NOT NULL,"+
			" PRIMARY KEY (pipeline, table_name) NOT ENFORCED)"))
	}
	rt := d.qualified(p.Schema, load.RejectedTable)
	sc.Prepare = append(sc.Prepare, stmt("CREATE TABLE IF NOT EXISTS "+rt+
		" (run_id STRING NOT NULL, table_name STRING NOT NULL, column_name STRING NOT NULL, reason STRING NOT NULL,"+
		" `row` JSON NOT NULL, rejected_at TIMESTAMP NOT NULL)"))
	defs := append(columnDefs(d, p, true), d.Quote(loadedAt)+" TIMESTAMP NOT NULL", d.Quote(runID)+" STRING NOT NULL")
	if len(p.PrimaryKey) > 0 && p.Disposition != load.Append {
		defs = append(defs, "PRIMARY KEY ("+list(d, "", p.PrimaryKey)+") NOT ENFORCED")
	}
	if !p.Exists {
		sc.Prepare = append(sc.Prepare, stmt("CREATE TABLE IF NOT EXISTS "+target+" ("+strings.Join(defs, ", ")+")"))
	}
	for _, i := range p.AddColumns {
		c := p.Columns[i]
		sc.Prepare = append(sc.Prepare, stmt("ALTER TABLE "+target+" ADD COLUMN IF NOT EXISTS "+d.Quote(c.Name)+" "+d.ColumnType(c.Type, false)))
	}
	sc.StageName = shortName("_dnk_stage_", p)
	stage := d.qualified(p.Schema, sc.StageName)
	sc.Stage, sc.StageColumns = stage, stageColumns(p)
	sd := make([]string, 0, len(p.Columns)+1)
	for _, c := range p.Columns {
		sd = append(sd, d.Quote(c.Name)+" "+d.ColumnType(c.Type, false))
	}
	if p.Disposition == load.Merge {
		sd = append(sd, d.Quote(seq)+" INT64 NOT NULL")
	}
	sc.Prepare = append(sc.Prepare, stmt("CREATE OR REPLACE TABLE "+stage+" ("+strings.Join(sd, ", ")+
		") OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 24 HOUR))"))

	cols := names(p.Columns)
	all := list(d, "", cols) + ", " + d.Quote(loadedAt) + ", " + d.Quote(runID)
	b := &binder{style: paramNamed}
	run := b.p("run_id", p.RunID)
	sc.Begin = []Statement{stmt("BEGIN TRANSACTION")}
	if p.Exists {
		sc.Guard = b.stmt("SELECT COUNT(*) FROM " + target + " WHERE " + d.Quote(runID) + " = " + run)
	}
	switch p.Disposition {
	case load.Replace:
		sc.Data = []Statement{stmt("DELETE FROM " + target + " WHERE TRUE"),
			b.stmt("INSERT INTO " + target + " (" + all + ") SELECT " + list(d, "", cols) + ", CURRENT_TIMESTAMP(), " + run + " FROM " + stage)}
	case load.Append:
		sc.Data = []Statement{b.stmt("INSERT INTO " + target + " (" + all + ") SELECT " + list(d, "", cols) + ", CURRENT_TIMESTAMP(), " + run +
			" FROM " + stage + " WHERE NOT EXISTS (SELECT 1 FROM " + target + " WHERE " + d.Quote(runID) + " = " + run + ")")}
	default:
		var set []string
		for _, c := range nonKeys(p) {
			set = append(set, d.Quote(c)+" = s."+d.Quote(c))
		}
		set = append(set, d.Quote(loadedAt)+" = CURRENT_TIMESTAMP()", d.Quote(runID)+" = "+run)
		sc.Data = []Statement{b.stmt("MERGE INTO " + target + " AS t USING (" + dedup(d, p, stage, cols) + ") AS s ON " +
			keyJoin(d, p.Keys, "t", "s") + " WHEN MATCHED THEN UPDATE SET " + strings.Join(set, ", ") +
			" WHEN NOT MATCHED THEN INSERT (" + all + ") VALUES (" + list(d, "s", cols) + ", CURRENT_TIMESTAMP(), " + run + ")")}
	}
	// One statement for all rejected rows: @rejected is an ARRAY<STRUCT<column_name, reason, row>>.
	sc.RejectedInsert = stmt("INSERT INTO "+rt+" (run_id, table_name, column_name, reason, `row`, rejected_at)"+
		" SELECT @run_id, @table_name, r.column_name, r.reason, PARSE_JSON(r.row), CURRENT_TIMESTAMP() FROM UNNEST(@rejected) AS r",
		Arg{"run_id", p.RunID}, Arg{"table_name", p.Table}, Arg{"rejected", nil})
	if p.State != nil {
		// Its parameters have names of their own: the script binds every statement's parameters
		// once, and the state's table (the source's) is not the target's.
		sc.State = []Statement{stmt("MERGE INTO "+d.qualified(p.Schema, load.StateTable)+" AS t USING (SELECT @state_pipeline AS pipeline,"+
			" @state_table AS table_name, @state_cursor AS cursor_value) AS s ON t.pipeline = s.pipeline AND t.table_name = s.table_name"+
			" WHEN MATCHED THEN UPDATE SET cursor_value = s.cursor_value, updated_at = CURRENT_TIMESTAMP()"+
			" WHEN NOT MATCHED THEN INSERT (pipeline, table_name, cursor_value, updated_at)"+
			" VALUES (s.pipeline, s.table_name, s.cursor_value, CURRENT_TIMESTAMP())",
			Arg{"state_pipeline", p.State.Pipeline}, Arg{"state_table", p.State.Table}, Arg{"state_cursor", p.State.Value})}
	}
	sc.Commit = []Statement{stmt("COMMIT TRANSACTION")}
	sc.Cleanup = []Statement{stmt("DROP TABLE IF EXISTS " + stage)}
	sc.Notes = []string{
		"Begin through Commit run as ONE script (one query job): BigQuery transactions live within a script.",
		"no DDL inside the transaction: dataset, bookkeeping tables, a new target (empty until the first commit) and added columns are created before it; staging is a table that expires after 24 hours, so a crash leaves nothing for long.",
		"replace is DELETE + INSERT in the transaction (not CREATE OR REPLACE), so the state commits with the data; a replace that changes a column's type is not expressed here (the table must be recreated first).",
	}
	return sc, nil
}
