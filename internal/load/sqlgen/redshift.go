package sqlgen

import (
	"errors"
	"fmt"
	"strings"

	"github.com/datanika/datanika/internal/load"
)

// Redshift is Amazon Redshift's dialect. Redshift has no COPY FROM STDIN: the engine writes
// the staged rows as gzip CSV files and a manifest to S3, and Load is the COPY that reads them
// into a TEMP table (gone with the session on a crash). DDL is transactional, as in
// PostgreSQL, so every disposition publishes in one transaction: append INSERTs, merge
// DELETEs the staged keys and INSERTs the last row of each, replace DROPs and re-CREATEs the
// table and INSERTs, with the state written by DELETE + INSERT (Redshift has no ON CONFLICT).
var Redshift Dialect = redshiftDialect{}

type redshiftDialect struct{}

func (redshiftDialect) Name() string { return "redshift" }

// Quote double-quotes a name, doubling quotes. Redshift folds even quoted names to lower case
// unless enable_case_sensitive_identifier is on: the Session turns it on.
func (redshiftDialect) Quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// ValidateName: identifiers are at most 127 bytes of UTF-8.
func (redshiftDialect) ValidateName(kind, name string) error {
	return validateCommon("Redshift", kind, name, 127, true)
}

// ColumnType maps a kind to Redshift DDL. Text is varchar(65535) bytes, Redshift's largest: a
// longer value fails the COPY (TRUNCATECOLUMNS is not used). JSON is SUPER, parsed from the
// staged text with JSON_PARSE at publish. Bytes are VARBYTE, written hex-encoded in the CSV.
func (redshiftDialect) ColumnType(t load.Type, _ bool) string {
	switch t.Kind {
	case load.KindInt16:
		return "smallint"
	case load.KindInt32:
		return "integer"
	case load.KindInt64:
		return "bigint"
	case load.KindDecimal:
		p, s := decimalPS(t, 38, 37, 38, 10)
		return fmt.Sprintf("decimal(%d,%d)", p, s)
	case load.KindFloat32:
		return "real"
	case load.KindFloat64:
		return "double precision"
	case load.KindBool:
		return "boolean"
	case load.KindBytes:
		return "varbyte(1024000)"
	case load.KindDate:
		return "date"
	case load.KindTime:
		return "time"
	case load.KindTimestamp:
		return "timestamp"
	case load.KindTimestampTZ:
		return "timestamptz"
	case load.KindInterval, load.KindDuration:
		return "varchar(100)"
	case load.KindJSON:
		return "super"
	case load.KindUUID:
		return "char(36)"
	default:
		return "varchar(65535)"
	}
}

func (d redshiftDialect) qualified(schema, table string) string {
	return d.Quote(schema) + "." + d.Quote(table)
}

// ErrNoS3 is the error of a Redshift plan without its S3 files.
var ErrNoS3 = errors.New("redshift loads need the S3 manifest of the staged files")

// copyFromS3 is the bulk load: the exact files in the manifest, gzip CSV, NULL as \N, bytes
// in hex; credentials by IAM role, or keys that the Redacted form masks.
func (d redshiftDialect) copyFromS3(stage string, cols []string, s3 *S3Source) Statement {
	head := "COPY " + stage + " (" + list(d, "", cols) + ") FROM " + sqlString(s3.Manifest)
	tail := " MANIFEST FORMAT AS CSV GZIP NULL AS '\\\\N' TIMEFORMAT 'auto' DATEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF"
	if s3.Region != "" {
		tail += " REGION " + sqlString(s3.Region)
	}
	if s3.IAMRole != "" {
		return Statement{SQL: head + " IAM_ROLE " + sqlString(s3.IAMRole) + tail}
	}
	creds := func(id, secret, token string) string {
		c := " ACCESS_KEY_ID " + sqlString(id) + " SECRET_ACCESS_KEY " + sqlString(secret)
		if token != "" {
			c += " SESSION_TOKEN " + sqlString(token)
		}
		return c
	}
	mask := ""
	if s3.SessionToken != "" {
		mask = "***"
	}
	return Statement{SQL: head + creds(s3.AccessKeyID, s3.SecretAccessKey, s3.SessionToken) + tail,
		Redacted: head + creds("***", "***", mask) + tail}
}

func (d redshiftDialect) Script(p *Plan) (*Script, error) {
	if err := check(d, p); err != nil {
		return nil, err
	}
	if p.S3 == nil || !strings.HasPrefix(p.S3.Manifest, "s3://") {
		return nil, ErrNoS3
	}
	if p.S3.IAMRole == "" && (p.S3.AccessKeyID == "" || p.S3.SecretAccessKey == "") {
		return nil, errors.New("redshift COPY needs an IAM role or an access key pair")
	}
	target := d.qualified(p.Schema, p.Table)
	sc := &Script{Dialect: d.Name(), Transactional: true}
	sc.Session = []Statement{stmt("SET enable_case_sensitive_identifier TO true"), stmt("SET timezone TO 'UTC'")}
	sc.Prepare = append(sc.Prepare, stmt("CREATE SCHEMA IF NOT EXISTS "+d.Quote(p.Schema)))
	if p.State != nil {
		sc.Prepare = append(sc.Prepare, stmt("CREATE TABLE IF NOT EXISTS "+d.qualified(p.Schema, load.StateTable)+
			" (pipeline varchar(512) NOT NULL, table_name varchar(512) NOT NULL, cursor_value varchar(65535) NOT NULL,"+
			" updated_at timestamptz NOT NULL, PRIMARY KEY (pipeline, table_name))"))
	}
	rt := d.qualified(p.Schema, load.RejectedTable)
	sc.Prepare = append(sc.Prepare, stmt("CREATE TABLE IF NOT EXISTS "+rt+
		" (run_id varchar(100) NOT NULL, table_name varchar(512) NOT NULL, column_name varchar(512) NOT NULL,"+
		` reason varchar(65535) NOT NULL, "row" varchar(65535) NOT NULL, rejected_at timestamptz NOT NULL)`))

	// Staging: a TEMP table; JSON stays text until JSON_PARSE.
	stage := d.Quote(shortName("_dnk_stage_", p))
	sc.Stage, sc.StageColumns = stage, stageColumns(p)
	sd := make([]string, 0, len(p.Columns)+1)
	for _, c := range p.Columns {
		typ := d.ColumnType(c.Type, false)
		if c.Type.Kind == load.KindJSON {
			typ = "varchar(65535)"
		}
		sd = append(sd, d.Quote(c.Name)+" "+typ)
	}
	if p.Disposition == load.Merge {
		sd = append(sd, d.Quote(seq)+" bigint NOT NULL")
	}
	sc.Prepare = append(sc.Prepare, stmt("DROP TABLE IF EXISTS "+stage), stmt("CREATE TEMP TABLE "+stage+" ("+strings.Join(sd, ", ")+")"))
	sc.Load = []Statement{d.copyFromS3(stage, sc.StageColumns, p.S3)}

	cols := names(p.Columns)
	values := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		values[i] = d.Quote(c.Name)
		if c.Type.Kind == load.KindJSON {
			values[i] = "JSON_PARSE(" + values[i] + ")"
		}
	}
	all := list(d, "", cols) + ", " + d.Quote(loadedAt) + ", " + d.Quote(runID)
	b := &binder{style: paramDollar}
	// Typed once: the run id stands both in the select list and in a comparison.
	run := "CAST(" + b.p("run_id", p.RunID) + " AS varchar(100))"
	defs := append(columnDefs(d, p, true), d.Quote(loadedAt)+" timestamptz NOT NULL", d.Quote(runID)+" varchar(100) NOT NULL")
	if len(p.PrimaryKey) > 0 && p.Disposition != load.Append {
		// Informational in Redshift (not enforced), kept for the planner and for readers.
		defs = append(defs, "PRIMARY KEY ("+list(d, "", p.PrimaryKey)+")")
	}
	create := stmt("CREATE TABLE " + target + " (" + strings.Join(defs, ", ") + ")")
	sc.Begin = []Statement{stmt("BEGIN")}
	switch p.Disposition {
	case load.Replace:
		sc.Data = []Statement{stmt("DROP TABLE IF EXISTS " + target), create,
			b.stmt("INSERT INTO " + target + " (" + all + ") SELECT " + strings.Join(values, ", ") + ", GETDATE(), " + run + " FROM " + stage)}
	default:
		if !p.Exists {
			sc.Data = append(sc.Data, create)
		} else {
			sc.Guard = b.stmt("SELECT count(*) FROM " + target + " WHERE " + d.Quote(runID) + " = " + run)
		}
		for _, i := range p.AddColumns {
			c := p.Columns[i]
			sc.Data = append(sc.Data, stmt("ALTER TABLE "+target+" ADD COLUMN "+d.Quote(c.Name)+" "+d.ColumnType(c.Type, false)))
		}
		if p.Disposition == load.Append {
			sc.Data = append(sc.Data, b.stmt("INSERT INTO "+target+" ("+all+") SELECT "+strings.Join(values, ", ")+", GETDATE(), "+run+
				" FROM "+stage+" WHERE NOT EXISTS (SELECT 1 FROM "+target+" WHERE "+d.Quote(runID)+" = "+run+")"))
		} else {
			sc.Data = append(sc.Data,
				stmt("DELETE FROM "+target+" USING (SELECT DISTINCT "+list(d, "", p.Keys)+" FROM "+stage+") AS s WHERE "+
					keyJoin(d, p.Keys, target, "s")),
				b.stmt("INSERT INTO "+target+" ("+all+") SELECT "+strings.Join(values, ", ")+", GETDATE(), "+run+
					" FROM ("+dedup(d, p, stage, cols)+") AS s1"))
		}
	}
	sc.RejectedInsert = stmt(`INSERT INTO `+rt+` (run_id, table_name, column_name, reason, "row", rejected_at) VALUES ($1, $2, $3, $4, $5, GETDATE())`,
		Arg{"run_id", p.RunID}, Arg{"table_name", p.Table}, Arg{"column_name", nil}, Arg{"reason", nil}, Arg{"row", nil})
	if p.State != nil {
		st := d.qualified(p.Schema, load.StateTable)
		sc.State = []Statement{
			stmt("DELETE FROM "+st+" WHERE pipeline = $1 AND table_name = $2", stateArgs(p.State)[:2]...),
			stmt("INSERT INTO "+st+" (pipeline, table_name, cursor_value, updated_at) VALUES ($1, $2, $3, GETDATE())", stateArgs(p.State)...),
		}
	}
	sc.Commit = []Statement{stmt("COMMIT")}
	sc.Cleanup = []Statement{stmt("DROP TABLE IF EXISTS " + stage)}
	sc.Notes = []string{
		"Redshift has no COPY FROM STDIN: the engine writes gzip CSV files and a manifest to S3 (NULL as \\N, bytes hex-encoded) and Load COPYs them into a TEMP table, which vanishes with the session on a crash.",
		"DDL is transactional: target creation, added columns, replace's DROP + CREATE + INSERT, merge's DELETE + INSERT, rejected rows and state commit together; TRUNCATE (which commits implicitly) is never used.",
		"primary keys are declared but not enforced by Redshift; merge's DELETE of the staged keys keeps them unique.",
	}
	return sc, nil
}
