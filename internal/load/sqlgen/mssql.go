package sqlgen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/datanika/datanika/internal/load"
)

// MSSQL is SQL Server's (and Azure SQL's) dialect.
//
// DDL is transactional in SQL Server, so the target's creation, evolve's added columns, the
// data, the state and the rejected rows all commit in one transaction (SET XACT_ABORT ON
// rolls all of it back on any error). Staging is a #temporary table: it vanishes with the
// session on a crash. Replace builds the new table beside the old one and swaps it in with
// DROP + sp_rename inside the transaction.
var MSSQL Dialect = mssqlDialect{}

type mssqlDialect struct{}

func (mssqlDialect) Name() string { return "mssql" }

// Quote brackets a name, doubling "]". Any character but NUL can stand inside.
func (mssqlDialect) Quote(name string) string { return "[" + strings.ReplaceAll(name, "]", "]]") + "]" }

// ValidateName: identifiers are sysname, nvarchar(128); a #temporary name may hold 116.
func (mssqlDialect) ValidateName(kind, name string) error {
	return validateCommon("SQL Server", kind, name, 128, false)
}

// ColumnType maps a kind to SQL Server DDL. Text and bytes are (max) types, which cannot be
// index keys: a key column is nvarchar(450) / varbinary(900), within the 900-byte key limit
// (a longer key value fails the load: ANSI_WARNINGS makes truncation an error).
func (mssqlDialect) ColumnType(t load.Type, key bool) string {
	switch t.Kind {
	case load.KindInt16:
		return "smallint"
	case load.KindInt32:
		return "int"
	case load.KindInt64:
		return "bigint"
	case load.KindDecimal:
		p, s := decimalPS(t, 38, 38, 38, 10)
		return fmt.Sprintf("decimal(%d,%d)", p, s)
	case load.KindFloat32:
		return "real"
	case load.KindFloat64:
		return "float"
	case load.KindBool:
		return "bit"
	case load.KindBytes:
		if key {
			return "varbinary(900)"
		}
		return "varbinary(max)"
	case load.KindDate:
		return "date"
	case load.KindTime:
		return "time(6)"
	case load.KindTimestamp:
		return "datetime2(6)"
	case load.KindTimestampTZ:
		return "datetimeoffset(6)"
	case load.KindInterval, load.KindDuration:
		return "nvarchar(100)"
	case load.KindUUID:
		return "uniqueidentifier"
	default: // text, JSON (SQL Server 2025's json type is not assumed)
		if key {
			return "nvarchar(450)"
		}
		return "nvarchar(max)"
	}
}

func (d mssqlDialect) qualified(schema, table string) string {
	return d.Quote(schema) + "." + d.Quote(table)
}

// nString is an N'…' literal.
func nString(s string) string { return "N" + sqlString(s) }

func (d mssqlDialect) Script(p *Plan) (*Script, error) {
	if err := check(d, p); err != nil {
		return nil, err
	}
	target := d.qualified(p.Schema, p.Table)
	sc := &Script{Dialect: d.Name(), Transactional: true}
	sc.Session = []Statement{stmt("SET XACT_ABORT ON"), stmt("SET ANSI_WARNINGS ON")}
	// CREATE SCHEMA must be alone in its batch, hence EXEC.
	sc.Prepare = append(sc.Prepare, stmt("IF SCHEMA_ID("+nString(p.Schema)+") IS NULL EXEC("+nString("CREATE SCHEMA "+d.Quote(p.Schema))+")"))
	if p.State != nil {
		st := d.qualified(p.Schema, load.StateTable)
		sc.Prepare = append(sc.Prepare, stmt("IF OBJECT_ID("+nString(st)+", N'U') IS NULL CREATE TABLE "+st+
			" (pipeline nvarchar(300) NOT NULL, table_name nvarchar(128) NOT NULL, cursor_value nvarchar(max) NOT NULL,"+
			" updated_at datetimeoffset(6) NOT NULL, PRIMARY KEY (pipeline, table_name))"))
	}
	rt := d.qualified(p.Schema, load.RejectedTable)
	sc.Prepare = append(sc.Prepare, stmt("IF OBJECT_ID("+nString(rt)+", N'U') IS NULL CREATE TABLE "+rt+
		" (run_id nvarchar(100) NOT NULL, table_name nvarchar(128) NOT NULL, column_name nvarchar(128) NOT NULL,"+
		" reason nvarchar(max) NOT NULL, [row] nvarchar(max) NOT NULL, rejected_at datetimeoffset(6) NOT NULL)"))

	cols := names(p.Columns)
	all := list(d, "", cols) + ", " + d.Quote(loadedAt) + ", " + d.Quote(runID)
	b := &binder{style: paramNamed}
	run := b.p("run_id", p.RunID)
	defs := columnDefs(d, p, true)
	bookkeeping := []string{d.Quote(loadedAt) + " datetimeoffset(6) NOT NULL", d.Quote(runID) + " nvarchar(100) NOT NULL"}

	if p.Disposition == load.Replace {
		stage := shortName("_dnk_new_", p)
		sc.Stage, sc.StageColumns = d.qualified(p.Schema, stage), cols
		// The loader's columns are filled by defaults during the bulk copy.
		nd := slices.Concat(defs, []string{
			d.Quote(loadedAt) + " datetimeoffset(6) NOT NULL DEFAULT SYSDATETIMEOFFSET()",
			d.Quote(runID) + " nvarchar(100) NOT NULL DEFAULT " + nString(p.RunID)})
		sc.Prepare = append(sc.Prepare, stmt("DROP TABLE IF EXISTS "+sc.Stage),
			stmt("CREATE TABLE "+sc.Stage+" ("+strings.Join(nd, ", ")+")"))
		if len(p.PrimaryKey) > 0 {
			// Built after the bulk copy and before the swap, outside the transaction.
			sc.Finish = append(sc.Finish, stmt("ALTER TABLE "+sc.Stage+" ADD CONSTRAINT "+d.Quote(shortName("_dnk_pk_", p))+
				" PRIMARY KEY ("+list(d, "", p.PrimaryKey)+")"))
		}
		sc.Begin = []Statement{stmt("BEGIN TRANSACTION")}
		sc.Data = []Statement{
			stmt("IF OBJECT_ID(" + nString(target) + ", N'U') IS NOT NULL DROP TABLE " + target),
			stmt("EXEC sp_rename @objname = " + nString(sc.Stage) + ", @newname = " + nString(p.Table) + ", @objtype = N'OBJECT'"),
		}
		sc.Cleanup = []Statement{stmt("DROP TABLE IF EXISTS " + sc.Stage)}
	} else {
		stage := "#" + shortName("_dnk_stage_", p)
		sc.Stage, sc.StageColumns = d.Quote(stage), stageColumns(p)
		// tempdb's collation may differ from the database's: text compares as the database's.
		sd := make([]string, len(p.Columns))
		for i, c := range p.Columns {
			sd[i] = d.Quote(c.Name) + " " + d.ColumnType(c.Type, isKey(p, c.Name))
			if k := c.Type.Kind; k == load.KindText || k == load.KindChar || k == load.KindJSON || k == load.KindInterval || k == load.KindDuration {
				sd[i] += " COLLATE DATABASE_DEFAULT"
			}
		}
		if p.Disposition == load.Merge {
			sd = append(sd, d.Quote(seq)+" bigint NOT NULL")
		}
		sc.Prepare = append(sc.Prepare, stmt("DROP TABLE IF EXISTS "+sc.Stage), stmt("CREATE TABLE "+sc.Stage+" ("+strings.Join(sd, ", ")+")"))
		sc.Begin = []Statement{stmt("BEGIN TRANSACTION")}
		if !p.Exists {
			td := slices.Concat(defs, bookkeeping)
			if p.Disposition == load.Merge && len(p.PrimaryKey) > 0 {
				td = append(td, "CONSTRAINT "+d.Quote(shortName("_dnk_pk_", p))+" PRIMARY KEY ("+list(d, "", p.PrimaryKey)+")")
			}
			sc.Data = append(sc.Data, stmt("CREATE TABLE "+target+" ("+strings.Join(td, ", ")+")"),
				stmt("CREATE INDEX "+d.Quote(shortName("_dnk_ix_", p))+" ON "+target+" ("+d.Quote(runID)+")"))
		} else {
			sc.Guard = b.stmt("SELECT COUNT_BIG(*) FROM " + target + " WITH (UPDLOCK, HOLDLOCK) WHERE " + d.Quote(runID) + " = " + run)
		}
		for _, i := range p.AddColumns {
			c := p.Columns[i]
			sc.Data = append(sc.Data, stmt("ALTER TABLE "+target+" ADD "+d.Quote(c.Name)+" "+d.ColumnType(c.Type, false)))
		}
		if p.Disposition == load.Append {
			sc.Data = append(sc.Data, b.stmt("INSERT INTO "+target+" ("+all+") SELECT "+list(d, "", cols)+
				", SYSDATETIMEOFFSET(), "+run+" FROM "+sc.Stage+" WHERE NOT EXISTS (SELECT 1 FROM "+target+
				" WHERE "+d.Quote(runID)+" = "+run+")"))
		} else {
			var set []string
			for _, c := range nonKeys(p) {
				set = append(set, "t."+d.Quote(c)+" = s."+d.Quote(c))
			}
			set = append(set, "t."+d.Quote(loadedAt)+" = SYSDATETIMEOFFSET()", "t."+d.Quote(runID)+" = "+run)
			sc.Data = append(sc.Data, b.stmt("MERGE INTO "+target+" WITH (HOLDLOCK) AS t USING ("+dedup(d, p, sc.Stage, cols)+
				") AS s ON "+keyJoin(d, p.Keys, "t", "s")+" WHEN MATCHED THEN UPDATE SET "+strings.Join(set, ", ")+
				" WHEN NOT MATCHED BY TARGET THEN INSERT ("+all+") VALUES ("+list(d, "s", cols)+", SYSDATETIMEOFFSET(), "+run+");"))
		}
		sc.Cleanup = []Statement{stmt("DROP TABLE IF EXISTS " + sc.Stage)}
	}
	sc.RejectedInsert = stmt("INSERT INTO "+rt+" (run_id, table_name, column_name, reason, [row], rejected_at)"+
		" VALUES (@run_id, @table_name, @column_name, @reason, @row, SYSDATETIMEOFFSET())",
		Arg{"run_id", p.RunID}, Arg{"table_name", p.Table}, Arg{"column_name", nil}, Arg{"reason", nil}, Arg{"row", nil})
	if p.State != nil {
		st := d.qualified(p.Schema, load.StateTable)
		sc.State = []Statement{stmt("MERGE INTO "+st+" WITH (HOLDLOCK) AS t USING (SELECT @pipeline AS pipeline, @table_name AS table_name,"+
			" @cursor_value AS cursor_value) AS s ON t.pipeline = s.pipeline AND t.table_name = s.table_name"+
			" WHEN MATCHED THEN UPDATE SET cursor_value = s.cursor_value, updated_at = SYSDATETIMEOFFSET()"+
			" WHEN NOT MATCHED THEN INSERT (pipeline, table_name, cursor_value, updated_at)"+
			" VALUES (s.pipeline, s.table_name, s.cursor_value, SYSDATETIMEOFFSET());", stateArgs(p.State)...)}
	}
	sc.Commit = []Statement{stmt("COMMIT TRANSACTION")}
	sc.Notes = []string{
		"DDL is transactional: target creation, added columns, data, rejected rows and state commit together (XACT_ABORT ON rolls back on any error).",
		"append/merge stage in a #temporary table, gone with the session on a crash; replace builds the new table beside the old and swaps it with DROP + sp_rename in the transaction.",
		"a retry finds its run id in the target (Guard; append also guards in its INSERT) and publishes nothing twice.",
	}
	return sc, nil
}
