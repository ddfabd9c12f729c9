package pgload

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/datanika/datanika/internal/load"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/internal/connectors"
	pgconn "github.com/datanika/datanika/internal/connectors/postgres"
)

// postgresSource reads one PostgreSQL database inside one read-only REPEATABLE READ
// transaction, so a table's rows and its verify count come from the same snapshot.
type postgresSource struct {
	conn          *pgx.Conn
	tx            pgx.Tx
	defaultSchema string
	// cc opens the readers of parallel key ranges (ranges.go).
	cc *pgx.ConnConfig
}

// OpenSource connects with a postgres connection config through env's Dialer.
func OpenSource(ctx context.Context, config map[string]any, env connectors.Env) (load.Source, error) {
	c, err := pgconn.New(config, env)
	if err != nil {
		return nil, err
	}
	cc, err := c.ConnConfig()
	if err != nil {
		return nil, err
	}
	cc.RuntimeParams["TimeZone"] = "UTC"
	cc.RuntimeParams["default_transaction_read_only"] = "on"
	cc.RuntimeParams["standard_conforming_strings"] = "on" // literals in COPY queries rely on it
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("connect to source postgres %s: %w", cc.Host, err)
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	schema, _ := config["schema"].(string)
	return &postgresSource{conn: conn, tx: tx, defaultSchema: schema, cc: cc}, nil
}

func (s *postgresSource) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.tx.Rollback(ctx)
	return s.conn.Close(ctx)
}

func (s *postgresSource) Tables(ctx context.Context, schema string, names []string) ([]*load.Table, error) {
	if schema == "" {
		schema = s.defaultSchema
	}
	if schema == "" {
		schema = "public"
	}
	// A domain is read as its base type (one level: a domain over a domain is read as text).
	rows, err := s.tx.Query(ctx, `
SELECT c.relname, a.attname, t.typname, format_type(t.oid, CASE WHEN d.typtype = 'd' THEN d.typtypmod ELSE a.atttypmod END),
       t.typcategory = 'A', NOT a.attnotnull,
       COALESCE(array_position(pk.conkey, a.attnum), 0), c.relkind = 'r'
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type d ON d.oid = a.atttypid
JOIN pg_type t ON t.oid = CASE WHEN d.typtype = 'd' THEN d.typbasetype ELSE d.oid END
LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT c.relispartition
ORDER BY c.relname, a.attnum`, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []*load.Table
	var pkPos [][]int
	for rows.Next() {
		var table, col, typname, formatted string
		var isArray, nullable, plain bool
		var pkIndex int
		if err := rows.Scan(&table, &col, &typname, &formatted, &isArray, &nullable, &pkIndex, &plain); err != nil {
			return nil, err
		}
		if len(all) == 0 || all[len(all)-1].Name != table {
			all = append(all, &load.Table{Schema: schema, Name: table, PlainRelation: plain})
			pkPos = append(pkPos, nil)
		}
		t := all[len(all)-1]
		typ, cast := load.PostgresSourceType(typname, formatted, isArray)
		t.Columns = append(t.Columns, load.Column{Name: col, Type: typ, Nullable: nullable})
		t.CastText = append(t.CastText, cast)
		if pkIndex > 0 {
			p := &pkPos[len(pkPos)-1]
			for len(*p) < pkIndex {
				*p = append(*p, -1)
			}
			(*p)[pkIndex-1] = len(t.Columns) - 1
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, t := range all {
		for _, ci := range pkPos[i] {
			if ci >= 0 {
				t.PrimaryKey = append(t.PrimaryKey, t.Columns[ci].Name)
			}
		}
	}
	return load.SelectTables(all, schema, names)
}

func pgIdent(name string) string { return pgx.Identifier{name}.Sanitize() }

// query builds the SELECT of a window: every column (arrays as JSON, unmapped types as text),
// filters and the cursor bound as parameters cast from text to the column's own type.
func (s *postgresSource) where(t *load.Table, w load.Window) (string, []any, error) {
	var args []any
	where, err := pgWhere(t, w, func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	})
	return where, args, err
}

// pgWhere builds the WHERE clause of a window; param places a value (a string or a []string)
// as a bind parameter or, where the statement takes none (COPY), as a literal.
func pgWhere(t *load.Table, w load.Window, param func(any) string) (string, error) {
	bind := func(c *load.Column, v any) string { return param(fmt.Sprint(v)) + "::text::" + c.Type.Source }
	return load.WindowWhere(t, w, load.WhereSyntax{
		Column:      func(c *load.Column) string { return pgIdent(c.Name) },
		Bind:        bind,
		CursorValue: func(c *load.Column, from any) any { return load.CursorParamText(c.Type.Kind, from) },
		InList: func(c *load.Column, column string, values []any, not bool) string {
			texts := make([]string, len(values))
			for i, v := range values {
				texts[i] = fmt.Sprint(v)
			}
			expr := column + " = ANY(" + param(texts) + "::text[]::" + c.Type.Source + "[])"
			if not {
				expr = "NOT (" + expr + ")"
			}
			return expr
		},
	})
}

func (s *postgresSource) Count(ctx context.Context, t *load.Table, w load.Window) (int64, error) {
	where, args, err := s.where(t, w)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.tx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{t.Schema, t.Name}.Sanitize()+where, args...).Scan(&n)
	return n, err
}

func (s *postgresSource) Read(ctx context.Context, t *load.Table, w load.Window, batchSize int, emit load.Emit) error {
	where, args, err := s.where(t, w)
	if err != nil {
		return err
	}
	exprs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		exprs[i] = pgIdent(c.Name)
		switch {
		case t.CastText[i]:
			exprs[i] += "::text"
		case c.Type.Kind == load.KindJSON && strings.HasSuffix(c.Type.Source, "[]"):
			exprs[i] = "to_jsonb(" + exprs[i] + ")"
		default:
			exprs[i] += pgReadCast(c)
		}
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + pgx.Identifier{t.Schema, t.Name}.Sanitize() + where
	if w.Cursor != "" {
		q += " ORDER BY " + pgIdent(w.Cursor)
		if w.Desc {
			q += " DESC"
		}
	}
	rows, err := s.tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	scan := newPGScanner(t.Columns)
	b := load.NewBatch(t.Columns, batchSize)
	for rows.Next() {
		for _, raw := range rows.RawValues() {
			b.Bytes += int64(len(raw))
		}
		if err := rows.Scan(scan.targets...); err != nil {
			return fmt.Errorf("read %s: %w", t.QualifiedName(), err)
		}
		scan.into(b.Next())
		if b.Full(batchSize) {
			if b, err = emit(b); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", t.QualifiedName(), err)
	}
	if b.Len() > 0 {
		_, err = emit(b)
	}
	return err
}

// pgReadCast is the cast that makes a column's values scannable as its kind: money is read
// as the exact numeric it holds.
func pgReadCast(c load.Column) string {
	if c.Type.Kind == load.KindDecimal && c.Type.Source == "money" {
		return "::numeric"
	}
	return ""
}

// pgScanner holds one scan target per column, of the pgtype that keeps the kind exact.
type pgScanner struct {
	kinds   []load.Kind
	targets []any
}

func newPGScanner(cols []load.Column) *pgScanner {
	s := &pgScanner{kinds: make([]load.Kind, len(cols)), targets: make([]any, len(cols))}
	for i, c := range cols {
		s.kinds[i] = c.Type.Kind
		switch c.Type.Kind {
		case load.KindInt16, load.KindInt32, load.KindInt64:
			s.targets[i] = new(pgtype.Int8)
		case load.KindDecimal:
			s.targets[i] = new(pgtype.Numeric)
		case load.KindFloat32, load.KindFloat64:
			s.targets[i] = new(pgtype.Float8)
		case load.KindBool:
			s.targets[i] = new(pgtype.Bool)
		case load.KindBytes, load.KindJSON:
			s.targets[i] = new([]byte)
		case load.KindDate:
			s.targets[i] = new(pgtype.Date)
		case load.KindTime:
			s.targets[i] = new(pgtype.Time)
		case load.KindTimestamp:
			s.targets[i] = new(pgtype.Timestamp)
		case load.KindTimestampTZ:
			s.targets[i] = new(pgtype.Timestamptz)
		case load.KindInterval, load.KindDuration:
			s.targets[i] = new(pgtype.Interval)
		case load.KindUUID:
			s.targets[i] = new(pgtype.UUID)
		default:
			s.targets[i] = new(pgtype.Text)
		}
	}
	return s
}

func (s *pgScanner) into(row []any) {
	for i := range row {
		row[i] = nil
		switch x := s.targets[i].(type) {
		case *pgtype.Int8:
			if x.Valid {
				row[i] = x.Int64
			}
		case *pgtype.Numeric:
			if x.Valid {
				row[i] = *x
				*x = pgtype.Numeric{}
			}
		case *pgtype.Float8:
			if x.Valid {
				row[i] = x.Float64
			}
		case *pgtype.Bool:
			if x.Valid {
				row[i] = x.Bool
			}
		case *[]byte:
			if *x != nil {
				if s.kinds[i] == load.KindJSON {
					row[i] = string(*x)
				} else {
					row[i] = *x
				}
				*x = nil
			}
		case *pgtype.Date:
			if x.Valid {
				row[i] = dateValue(*x)
			}
		case *pgtype.Time:
			if x.Valid {
				row[i] = *x
			}
		case *pgtype.Timestamp:
			if x.Valid {
				row[i] = timestampValue(x.Time, x.InfinityModifier)
			}
		case *pgtype.Timestamptz:
			if x.Valid {
				row[i] = timestampValue(x.Time, x.InfinityModifier)
			}
		case *pgtype.Interval:
			if x.Valid {
				row[i] = *x
			}
		case *pgtype.UUID:
			if x.Valid {
				row[i] = x.Bytes
			}
		case *pgtype.Text:
			if x.Valid {
				row[i] = x.String
			}
		}
	}
}

// dateValue keeps ±infinity as the extreme dates PostgreSQL can hold, so they still load.
func dateValue(d pgtype.Date) time.Time {
	switch d.InfinityModifier {
	case pgtype.Infinity:
		return time.Date(294276, 12, 31, 0, 0, 0, 0, time.UTC)
	case pgtype.NegativeInfinity:
		return time.Date(-4713, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return d.Time
}

func timestampValue(t time.Time, inf pgtype.InfinityModifier) time.Time {
	switch inf {
	case pgtype.Infinity:
		return time.Date(294276, 12, 31, 23, 59, 59, 999999000, time.UTC)
	case pgtype.NegativeInfinity:
		return time.Date(-4713, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return t
}

// pgLiteral quotes a string or a list of strings as SQL literals. The session runs with
// standard_conforming_strings on (set when connecting), so only quotes need doubling.
func pgLiteral(v any) string {
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	switch x := v.(type) {
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = quote(s)
		}
		return "ARRAY[" + strings.Join(q, ", ") + "]::text[]"
	default:
		return quote(fmt.Sprint(x))
	}
}

// copyOut streams the window as PostgreSQL binary COPY data, each column cast to its
// destination type so the bytes load unchanged; extra are literal columns appended to each
// row. It returns the rows sent.
func (s *postgresSource) copyOut(ctx context.Context, t *load.Table, w load.Window, extra []string, out io.Writer) (int64, error) {
	for _, f := range w.Filters {
		if strings.ContainsRune(fmt.Sprint(f.Value), 0) {
			return 0, fmt.Errorf("filter on %q: a value holds a NUL character", f.Column)
		}
	}
	where, err := pgWhere(t, w, pgLiteral)
	if err != nil {
		return 0, err
	}
	exprs := make([]string, 0, len(t.Columns)+len(extra))
	for i, c := range t.Columns {
		e := pgIdent(c.Name)
		switch {
		case t.CastText[i]:
			e += "::text"
		case c.Type.Kind == load.KindJSON && strings.HasSuffix(c.Type.Source, "[]"):
			e = "to_jsonb(" + e + ")"
		case !sameType(c.Type.Source, load.PostgresColumnType(c.Type)):
			// Same wire format or not, a cast makes it the destination's (a no-op cast would
			// still cost a function call per value, numeric's typmod check for one).
			e += "::" + load.PostgresColumnType(c.Type)
		}
		exprs = append(exprs, e)
	}
	plain := t.PlainRelation && len(extra) == 0 && where == "" && w.Cursor == ""
	for i, c := range t.Columns {
		plain = plain && exprs[i] == pgIdent(c.Name)
	}
	exprs = append(exprs, extra...)
	var q string
	if plain {
		// The whole table as it is: COPY reads it without the executor.
		q = "COPY " + pgx.Identifier{t.Schema, t.Name}.Sanitize() + " (" + strings.Join(exprs, ", ") + ") TO STDOUT (FORMAT binary)"
	} else {
		q = "COPY (SELECT " + strings.Join(exprs, ", ") + " FROM " + pgx.Identifier{t.Schema, t.Name}.Sanitize() + where
		if w.Cursor != "" {
			q += " ORDER BY " + pgIdent(w.Cursor)
			if w.Desc {
				q += " DESC"
			}
		}
		q += ") TO STDOUT (FORMAT binary)"
	}
	tag, err := s.tx.Conn().PgConn().CopyTo(ctx, out, q)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", t.QualifiedName(), err)
	}
	return tag.RowsAffected(), nil
}

// max reads the highest value of the window's cursor column, in the read's snapshot.
func (s *postgresSource) max(ctx context.Context, t *load.Table, w load.Window, column string) (any, error) {
	where, args, err := s.where(t, w)
	if err != nil {
		return nil, err
	}
	_, col := t.Column(column)
	scan := newPGScanner([]load.Column{*col})
	if err := s.tx.QueryRow(ctx, "SELECT max("+pgIdent(col.Name)+")"+pgReadCast(*col)+" FROM "+pgx.Identifier{t.Schema, t.Name}.Sanitize()+where,
		args...).Scan(scan.targets...); err != nil {
		return nil, err
	}
	row := make([]any, 1)
	scan.into(row)
	return row[0], nil
}
