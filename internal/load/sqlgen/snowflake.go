package sqlgen

import (
	"fmt"
	"strings"

	"github.com/datanika/datanika/internal/load"
)

// Snowflake is Snowflake's dialect.
//
// Every DDL statement in Snowflake commits the open transaction implicitly. So Prepare
// (autocommitted) creates the schema, the bookkeeping tables, a new target (empty until the
// first publish) and evolve's columns, and the TEMPORARY staging table (gone with the session
// on a crash); the publishing transaction holds DML only: append INSERTs, merge MERGEs, replace
// DELETEs every row and INSERTs the new ones — not ALTER TABLE … SWAP WITH, which is atomic
// for readers but would commit on its own, apart from the state.
var Snowflake Dialect = snowflakeDialect{}

type snowflakeDialect struct{}

func (snowflakeDialect) Name() string { return "snowflake" }

// Quote double-quotes a name, doubling quotes. A quoted name is case-sensitive, unless the
// account sets QUOTED_IDENTIFIERS_IGNORE_CASE: the Session turns that off.
func (snowflakeDialect) Quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// ValidateName: identifiers are at most 255 characters.
func (snowflakeDialect) ValidateName(kind, name string) error {
	return validateCommon("Snowflake", kind, name, 255, false)
}

// ColumnType maps a kind to Snowflake DDL. NUMBER holds 38 digits with a scale up to 37;
// numeric(38,10) is exact, an unconstrained decimal is NUMBER(38,10). Both floats are FLOAT
// (a double). JSON is VARIANT, parsed from the staged text with PARSE_JSON at publish;
// intervals travel as text.
func (snowflakeDialect) ColumnType(t load.Type, _ bool) string {
	switch t.Kind {
	case load.KindInt16:
		return "SMALLINT"
	case load.KindInt32:
		return "INTEGER"
	case load.KindInt64:
		return "BIGINT"
	case load.KindDecimal:
		p, s := decimalPS(t, 38, 37, 38, 10)
		return fmt.Sprintf("NUMBER(%d,%d)", p, s)
	case load.KindFloat32, load.KindFloat64:
		return "FLOAT"
	case load.KindBool:
		return "BOOLEAN"
	case load.KindBytes:
		return "BINARY"
	case load.KindDate:
		return "DATE"
	case load.KindTime:
		return "TIME(6)"
	case load.KindTimestamp:
		return "TIMESTAMP_NTZ(6)"
	case load.KindTimestampTZ:
		return "TIMESTAMP_TZ(6)"
	case load.KindJSON:
		return "VARIANT"
	case load.KindUUID:
		return "VARCHAR(36)"
	default: // text, interval
		return "VARCHAR"
	}
}

func (d snowflakeDialect) qualified(schema, table string) string {
	return d.Quote(schema) + "." + d.Quote(table)
}

func (d snowflakeDialect) Script(p *Plan) (*Script, error) {
	if err := check(d, p); err != nil {
		return nil, err
	}
	target := d.qualified(p.Schema, p.Table)
	sc := &Script{Dialect: d.Name(), Transactional: true}
	sc.Session = []Statement{stmt("ALTER SESSION SET QUOTED_IDENTIFIERS_IGNORE_CASE = FALSE"), stmt("ALTER SESSION SET TIMEZONE = 'UTC'"),
		stmt("ALTER SESSION SET ERROR_ON_NONDETERMINISTIC_MERGE = TRUE")}
	sc.Prepare = append(sc.Prepare, stmt("CREATE SCHEMA IF NOT EXISTS "+d.Quote(p.Schema)))
	if p.State != nil {
		sc.Prepare = append(sc.Prepare, stmt("CREATE TABLE IF NOT EXISTS "+d.qualified(p.Schema, load.StateTable)+
			" (pipeline VARCHAR NOT NULL, table_name VARCHAR NOT NULL, cursor_value VARCHAR NOT NULL, updated_at TIMESTAMP_TZ(6) NOT NULL,"+
			" PRIMARY KEY (pipeline, table_name))"))
	}
	rt := d.qualified(p.Schema, load.RejectedTable)
	sc.Prepare = append(sc.Prepare, stmt("CREATE TABLE IF NOT EXISTS "+rt+
		" (run_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, column_name VARCHAR NOT NULL, reason VARCHAR NOT NULL,"+
		` "row" VARIANT NOT NULL, rejected_at TIMESTAMP_TZ(6) NOT NULL)`))
	defs := append(columnDefs(d, p, true), d.Quote(loadedAt)+" TIMESTAMP_TZ(6) NOT NULL", d.Quote(runID)+" VARCHAR NOT NULL")
	if len(p.PrimaryKey) > 0 && p.Disposition != load.Append {
		defs = append(defs, "PRIMARY KEY ("+list(d, "", p.PrimaryKey)+")") // declared, not enforced
	}
	if !p.Exists {
		sc.Prepare = append(sc.Prepare, stmt("CREATE TABLE IF NOT EXISTS "+target+" ("+strings.Join(defs, ", ")+")"))
	}
	for _, i := range p.AddColumns {
		c := p.Columns[i]
		sc.Prepare = append(sc.Prepare, stmt("ALTER TABLE "+target+" ADD COLUMN IF NOT EXISTS "+d.Quote(c.Name)+" "+d.ColumnType(c.Type, false)))
	}
	stage := d.qualified(p.Schema, shortName("_dnk_stage_", p))
	sc.Stage, sc.StageColumns = stage, stageColumns(p)
	sd := make([]string, 0, len(p.Columns)+1)
	for _, c := range p.Columns {
		typ := d.ColumnType(c.Type, false)
		if c.Type.Kind == load.KindJSON {
			typ = "VARCHAR"
		}
		sd = append(sd, d.Quote(c.Name)+" "+typ)
	}
	if p.Disposition == load.Merge {
		sd = append(sd, d.Quote(seq)+" BIGINT NOT NULL")
	}
	sc.Prepare = append(sc.Prepare, stmt("CREATE OR REPLACE TEMPORARY TABLE "+stage+" ("+strings.Join(sd, ", ")+")"))
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(sc.StageColumns)), ", ")
	sc.StageInsert = stmt("INSERT INTO " + stage + " (" + list(d, "", sc.StageColumns) + ") VALUES (" + ph + ")")

	cols := names(p.Columns)
	values := func(alias string) string {
		v := make([]string, len(p.Columns))
		for i, c := range p.Columns {
			v[i] = d.Quote(c.Name)
			if alias != "" {
				v[i] = alias + "." + v[i]
			}
			if c.Type.Kind == load.KindJSON {
				v[i] = "PARSE_JSON(" + v[i] + ")"
			}
		}
		return strings.Join(v, ", ")
	}
	all := list(d, "", cols) + ", " + d.Quote(loadedAt) + ", " + d.Quote(runID)
	sc.Begin = []Statement{stmt("BEGIN TRANSACTION")}
	if p.Exists {
		sc.Guard = stmt("SELECT COUNT(*) FROM "+target+" WHERE "+d.Quote(runID)+" = ?", Arg{"run_id", p.RunID})
	}
	now := "CURRENT_TIMESTAMP()"
	switch p.Disposition {
	case load.Replace:
		sc.Data = []Statement{stmt("DELETE FROM " + target),
			stmt("INSERT INTO "+target+" ("+all+") SELECT "+values("")+", "+now+", ? FROM "+stage, Arg{"run_id", p.RunID})}
	case load.Append:
		sc.Data = []Statement{stmt("INSERT INTO "+target+" ("+all+") SELECT "+values("")+", "+now+", ? FROM "+stage+
			" WHERE NOT EXISTS (SELECT 1 FROM "+target+" WHERE "+d.Quote(runID)+" = ?)", Arg{"run_id", p.RunID}, Arg{"run_id", p.RunID})}
	default:
		var set []string
		for _, c := range p.Columns {
			if !isMergeKey(p, c.Name) {
				v := "s." + d.Quote(c.Name)
				if c.Type.Kind == load.KindJSON {
					v = "PARSE_JSON(" + v + ")"
				}
				set = append(set, "t."+d.Quote(c.Name)+" = "+v)
			}
		}
		set = append(set, "t."+d.Quote(loadedAt)+" = "+now, "t."+d.Quote(runID)+" = ?")
		sc.Data = []Statement{stmt("MERGE INTO "+target+" AS t USING ("+dedup(d, p, stage, cols)+") AS s ON "+
			keyJoin(d, p.Keys, "t", "s")+" WHEN MATCHED THEN UPDATE SET "+strings.Join(set, ", ")+
			" WHEN NOT MATCHED THEN INSERT ("+all+") VALUES ("+values("s")+", "+now+", ?)", Arg{"run_id", p.RunID}, Arg{"run_id", p.RunID})}
	}
	sc.RejectedInsert = stmt(`INSERT INTO `+rt+` (run_id, table_name, column_name, reason, "row", rejected_at)`+
		` SELECT ?, ?, ?, ?, PARSE_JSON(?), CURRENT_TIMESTAMP()`,
		Arg{"run_id", p.RunID}, Arg{"table_name", p.Table}, Arg{"column_name", nil}, Arg{"reason", nil}, Arg{"row", nil})
	if p.State != nil {
		sc.State = []Statement{stmt("MERGE INTO "+d.qualified(p.Schema, load.StateTable)+" AS t USING (SELECT ? AS pipeline,"+
			" ? AS table_name, ? AS cursor_value) AS s ON t.pipeline = s.pipeline AND t.table_name = s.table_name"+
			" WHEN MATCHED THEN UPDATE SET t.cursor_value = s.cursor_value, t.updated_at = CURRENT_TIMESTAMP()"+
			" WHEN NOT MATCHED THEN INSERT (pipeline, table_name, cursor_value, updated_at)"+
			" VALUES (s.pipeline, s.table_name, s.cursor_value, CURRENT_TIMESTAMP())", stateArgs(p.State)...)}
	}
	sc.Commit = []Statement{stmt("COMMIT")}
	sc.Cleanup = []Statement{stmt("DROP TABLE IF EXISTS " + stage)}
	sc.Notes = []string{
		"DDL commits implicitly in Snowflake, so every DDL statement is in Prepare; the transaction holds DML only (data, rejected rows, state).",
		"staging is a TEMPORARY table, gone with the session on a crash; the driver fills it through StageInsert with array binding (gosnowflake stages large arrays as files).",
		"replace is DELETE + INSERT in the transaction rather than ALTER TABLE … SWAP WITH, which would commit apart from the state.",
	}
	return sc, nil
}

func isMergeKey(p *Plan, name string) bool {
	for _, k := range p.Keys {
		if k == name {
			return true
		}
	}
	return false
}
