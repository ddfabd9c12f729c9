package myload

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/datanika/datanika/internal/load"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/internal/connectors"
	myconn "github.com/datanika/datanika/internal/connectors/mysql"
)

// mysqlSource reads a MySQL or MariaDB database over one connection inside a consistent
// snapshot, streaming rows as the server sends them.
type mysqlSource struct {
	db       *sql.DB
	conn     *sql.Conn
	database string
	// newDB opens more connections alike, for parallel key ranges (ranges.go).
	newDB func() *sql.DB
}

// OpenSource connects with a mysql connection config through env's Dialer.
func OpenSource(ctx context.Context, config map[string]any, env connectors.Env) (load.Source, error) {
	c, err := myconn.New(config, env)
	if err != nil {
		return nil, err
	}
	mc := c.DriverConfig()
	mc.ParseTime = false // values arrive as text and are converted exactly, per kind
	// Parameters are escaped into the query by the driver, which then runs it over the text
	// protocol: no statement to prepare, and the values arrive spelled as text (what both the
	// decoding path and the COPY text path want).
	mc.InterpolateParams = true
	if mc.Params == nil {
		mc.Params = map[string]string{}
	}
	mc.Params["time_zone"] = "'+00:00'"
	// A slow destination must not make the server give up on a long result.
	mc.Params["net_write_timeout"] = "3600"
	connector, err := mysqldriver.NewConnector(mc)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to source mysql %s: %w", mc.Addr, err)
	}
	if _, err := conn.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		_ = conn.Close()
		_ = db.Close()
		return nil, err
	}
	return &mysqlSource{db: db, conn: conn, database: mc.DBName, newDB: func() *sql.DB { return sql.OpenDB(connector) }}, nil
}

func (s *mysqlSource) Close() error {
	_, _ = s.conn.ExecContext(context.Background(), "ROLLBACK")
	_ = s.conn.Close()
	return s.db.Close()
}

func (s *mysqlSource) Tables(ctx context.Context, schema string, names []string) ([]*load.Table, error) {
	if schema == "" {
		schema = s.database
	}
	if schema == "" {
		return nil, fmt.Errorf("the mysql source names no database: set its database or config.source_schema")
	}
	jsonCols := s.jsonColumns(ctx, schema)
	rows, err := s.conn.QueryContext(ctx, `SELECT c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.IS_NULLABLE = 'YES',
  COALESCE(k.ORDINAL_POSITION, 0)
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
LEFT JOIN information_schema.KEY_COLUMN_USAGE k ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
  AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'
WHERE c.TABLE_SCHEMA = ?
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`, schema)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var all []*load.Table
	var pks []map[int]string
	for rows.Next() {
		var table, col, dataType, colType string
		var nullable bool
		var pkPos int
		if err := rows.Scan(&table, &col, &dataType, &colType, &nullable, &pkPos); err != nil {
			return nil, err
		}
		if len(all) == 0 || all[len(all)-1].Name != table {
			all = append(all, &load.Table{Schema: schema, Name: table})
			pks = append(pks, map[int]string{})
		}
		t := all[len(all)-1]
		t.Columns = append(t.Columns, load.Column{Name: col, Type: load.MySQLSourceType(dataType, colType, jsonCols[[2]string{table, col}]), Nullable: nullable})
		t.CastText = append(t.CastText, false)
		if pkPos > 0 {
			pks[len(pks)-1][pkPos] = col
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, t := range all {
		for p := 1; p <= len(pks[i]); p++ {
			t.PrimaryKey = append(t.PrimaryKey, pks[i][p])
		}
	}
	return load.SelectTables(all, schema, names)
}

// jsonColumns finds MariaDB's JSON columns: LONGTEXT guarded by json_valid(). Servers without
// the CHECK_CONSTRAINTS view have none to find.
func (s *mysqlSource) jsonColumns(ctx context.Context, schema string) map[[2]string]bool {
	out := map[[2]string]bool{}
	rows, err := s.conn.QueryContext(ctx, `SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = ?`, schema)
	if err != nil {
		return out
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var table, clause string
		if rows.Scan(&table, &clause) == nil && strings.HasPrefix(strings.ToLower(clause), "json_valid(`") {
			col := strings.TrimSuffix(strings.TrimPrefix(clause[len("json_valid("):], "`"), "`)")
			out[[2]string{table, strings.ReplaceAll(col, "``", "`")}] = true
		}
	}
	if rows.Err() != nil {
		return map[[2]string]bool{}
	}
	return out
}

func myIdent(name string) string { return load.MySQL.Quote(name) }

func (s *mysqlSource) where(t *load.Table, w load.Window) (string, []any, error) {
	var args []any
	where, err := load.WindowWhere(t, w, load.WhereSyntax{
		Column: func(c *load.Column) string { return myIdent(c.Name) },
		Bind: func(_ *load.Column, v any) string {
			args = append(args, fmt.Sprint(v))
			return "?"
		},
		CursorValue: func(c *load.Column, from any) any {
			if tm, ok := from.(time.Time); ok && c.Type.Kind == load.KindTimestampTZ {
				return tm.UTC().Format("2006-01-02 15:04:05.999999")
			}
			return load.CursorParamText(c.Type.Kind, from)
		},
	})
	return where, args, err
}

func (s *mysqlSource) Count(ctx context.Context, t *load.Table, w load.Window) (int64, error) {
	where, args, err := s.where(t, w)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+load.MySQL.Qualified(t.Schema, t.Name)+where, args...).Scan(&n)
	return n, err
}

// selectSQL is the query that reads a window of t, and its bind parameters.
func (s *mysqlSource) selectSQL(t *load.Table, w load.Window) (string, []any, error) {
	where, args, err := s.where(t, w)
	if err != nil {
		return "", nil, err
	}
	exprs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		exprs[i] = mysqlReadExpr(c, true)
	}
	//nolint:gosec // identifiers are quoted by the dialect; values are bind parameters
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + load.MySQL.Qualified(t.Schema, t.Name) + where
	if w.Cursor != "" {
		q += " ORDER BY " + myIdent(w.Cursor)
		if w.Desc {
			q += " DESC"
		}
	}
	return q, args, nil
}

// QueryText runs the window's query over the text protocol, its parameters interpolated by
// the driver, on the snapshot's connection.
func (s *mysqlSource) QueryText(ctx context.Context, t *load.Table, w load.Window, fn func(driver.Rows) error) error {
	q, args, err := s.selectSQL(t, w)
	if err != nil {
		return err
	}
	return s.conn.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return load.ErrNoTextQuery
		}
		named := make([]driver.NamedValue, len(args))
		for i, a := range args {
			named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		}
		rs, err := qc.QueryContext(ctx, q, named)
		if errors.Is(err, driver.ErrSkip) {
			return load.ErrNoTextQuery
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", t.QualifiedName(), err)
		}
		defer func() { _ = rs.Close() }()
		return fn(rs)
	})
}

// TextValue decodes a value as the text protocol spells it.
func (s *mysqlSource) TextValue(k load.Kind, spelled []byte) (any, error) {
	return mysqlValue(k, spelled, false)
}

func (s *mysqlSource) Read(ctx context.Context, t *load.Table, w load.Window, batchSize int, emit load.Emit) error {
	q, args, err := s.selectSQL(t, w)
	if err != nil {
		return err
	}
	bits := make([]bool, len(t.Columns))
	for i, c := range t.Columns {
		bits[i] = strings.HasPrefix(strings.ToLower(c.Type.Source), "bit")
	}
	rows, err := s.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	raw := make([]sql.RawBytes, len(t.Columns))
	targets := make([]any, len(raw))
	for i := range raw {
		targets[i] = &raw[i]
	}
	b := load.NewBatch(t.Columns, batchSize)
	for rows.Next() {
		if err := rows.Scan(targets...); err != nil {
			return fmt.Errorf("read %s: %w", t.QualifiedName(), err)
		}
		row := b.Next()
		drop := false
		for i, r := range raw {
			b.Bytes += int64(len(r))
			if r == nil {
				continue
			}
			v, err := mysqlValue(t.Columns[i].Type.Kind, r, bits[i])
			if err != nil {
				rawRow := make([]any, len(raw))
				for j, x := range raw {
					if x != nil {
						rawRow[j] = string(x)
					}
				}
				d, ferr := w.Reject(t.Columns, rawRow, i, err)
				if ferr != nil {
					return fmt.Errorf("read %s, column %q: %w", t.QualifiedName(), t.Columns[i].Name, ferr)
				}
				drop = drop || d
				v = nil
			}
			row[i] = v
		}
		if drop {
			b.Drop()
		}
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

// mysqlReadExpr is the expression that reads column c exactly over the text protocol. The
// server spells a FLOAT with six significant digits (3.4028234e38 as 3.40282e38): read as a
// DOUBLE it is the float's exact value, which PostgreSQL's real and the float32 kind round
// back to the same float. A geometry arrives in MySQL's internal binary form (SRID and WKB);
// with source set it is read as its WKT text instead (the SRID is not kept).
func mysqlReadExpr(c load.Column, source bool) string {
	e := myIdent(c.Name)
	switch {
	case c.Type.Kind == load.KindFloat32:
		return "CAST(" + e + " AS DOUBLE)"
	case source && isMySQLGeometry(c.Type.Source):
		return "ST_AsText(" + e + ")"
	}
	return e
}

// isMySQLGeometry says a COLUMN_TYPE is one of the spatial types.
func isMySQLGeometry(columnType string) bool {
	switch strings.ToLower(columnType) {
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
		"geometrycollection", "geomcollection":
		return true
	}
	return false
}

// mysqlValue converts one value as the server spells it to its kind's representation.
func mysqlValue(k load.Kind, r []byte, bit bool) (any, error) {
	s := string(r)
	switch k {
	case load.KindInt16, load.KindInt32, load.KindInt64:
		if bit {
			var n int64
			for _, c := range r {
				n = n<<8 | int64(c)
			}
			return n, nil
		}
		return strconv.ParseInt(s, 10, 64)
	case load.KindBool:
		if bit || (len(r) == 1 && r[0] <= 1) {
			return len(r) > 0 && r[len(r)-1] != 0, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n != 0, err
	case load.KindDecimal:
		return load.ParseNumeric(s)
	case load.KindFloat32, load.KindFloat64:
		return strconv.ParseFloat(s, 64)
	case load.KindBytes:
		return append(make([]byte, 0, len(r)), r...), nil
	case load.KindDate:
		if strings.HasPrefix(s, "0000-00-00") {
			return nil, nil // MySQL's zero date means "no date"
		}
		return time.Parse("2006-01-02", s)
	case load.KindTimestamp, load.KindTimestampTZ:
		if strings.HasPrefix(s, "0000-00-00") {
			return nil, nil
		}
		return time.Parse("2006-01-02 15:04:05.999999", s)
	case load.KindTime:
		return load.ParseTimeOfDay(s)
	case load.KindDuration:
		return parseDuration(s)
	case load.KindUUID:
		u, err := uuid.Parse(s)
		return [16]byte(u), err
	default:
		return s, nil
	}
}

// parseDuration reads a MySQL TIME as the server spells it, "[-]838:59:59[.ffffff]", into an
// interval of as many microseconds (hours stay hours: no days, no months).
func parseDuration(s string) (any, error) {
	body, neg := strings.CutPrefix(s, "-")
	hms, frac, _ := strings.Cut(body, ".")
	parts := strings.Split(hms, ":")
	if len(parts) != 3 || len(frac) > 6 {
		return nil, fmt.Errorf("%q is not a MySQL TIME", s)
	}
	var us int64
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil || (i > 0 && n > 59) {
			return nil, fmt.Errorf("%q is not a MySQL TIME", s)
		}
		us = us*60 + int64(n)
	}
	us *= 1_000_000
	if frac != "" {
		f, err := strconv.ParseUint((frac + "000000")[:6], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a MySQL TIME", s)
		}
		us += int64(f)
	}
	if neg {
		us = -us
	}
	return pgtype.Interval{Microseconds: us, Valid: true}, nil
}

// formatDuration spells a duration as MySQL's TIME reads it, "[-]hhh:mm:ss.ffffff". Only an
// interval without months and days is a duration.
func formatDuration(iv pgtype.Interval) (string, error) {
	if iv.Months != 0 || iv.Days != 0 {
		return "", fmt.Errorf("interval of %d months %d days is not a MySQL TIME", iv.Months, iv.Days)
	}
	return load.DurationText(iv.Microseconds), nil
}
