package load

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/internal/connectors"
	msconn "github.com/datanika/datanika/internal/connectors/mssql"
)

// mssqlSource reads a SQL Server database over one connection, streaming rows as the server
// sends them. Its transaction is SNAPSHOT isolation when the database allows it
// (ALLOW_SNAPSHOT_ISOLATION ON): rows, verify count and cursor mark then come from one state.
// Otherwise it is READ COMMITTED, which takes no long locks on the user's tables but lets a
// concurrent writer make the count differ from the rows read — verify=count then fails the run
// rather than publishing a mismatch.
type mssqlSource struct {
	db            *sql.DB
	conn          *sql.Conn
	tx            *sql.Tx
	defaultSchema string
	// Snapshot says the transaction is SNAPSHOT isolation.
	snapshot bool
}

// OpenMSSQLSource connects with an mssql connection config through env's Dialer.
func OpenMSSQLSource(ctx context.Context, config map[string]any, env connectors.Env) (Source, error) {
	c, err := msconn.New(config, env)
	if err != nil {
		return nil, err
	}
	db, conn, err := c.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to source mssql: %w", err)
	}
	s := &mssqlSource{db: db, conn: conn, defaultSchema: c.DefaultSchema()}
	var state int
	if err := conn.QueryRowContext(ctx, mssqlSnapshotStateSQL).Scan(&state); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("read the snapshot isolation state: %w", err)
	}
	iso := sql.LevelReadCommitted
	if state == 1 {
		iso, s.snapshot = sql.LevelSnapshot, true
	}
	if s.tx, err = conn.BeginTx(ctx, &sql.TxOptions{Isolation: iso}); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func (s *mssqlSource) Close() error {
	if s.tx != nil {
		_ = s.tx.Rollback()
	}
	_ = s.conn.Close()
	return s.db.Close()
}

// Statements the source sends, golden-tested in source_mssql_test.go.
const (
	mssqlSnapshotStateSQL = "SELECT CAST(snapshot_isolation_state AS int) FROM sys.databases WHERE name = DB_NAME()"
	// mssqlColumnsSQL lists tables and views of one schema with their columns, alias types
	// resolved to their base type, and the primary key's column order.
	mssqlColumnsSQL = `SELECT o.name, c.name,
       CASE WHEN t.is_user_defined = 1 AND t.is_assembly_type = 0 THEN TYPE_NAME(t.system_type_id) ELSE t.name END,
       CAST(c.precision AS int), CAST(c.scale AS int), CAST(c.max_length AS int), c.is_nullable,
       CAST(COALESCE(ic.key_ordinal, 0) AS int)
FROM sys.objects AS o
JOIN sys.schemas AS s ON s.schema_id = o.schema_id
JOIN sys.columns AS c ON c.object_id = o.object_id
JOIN sys.types AS t ON t.user_type_id = c.user_type_id
LEFT JOIN sys.indexes AS i ON i.object_id = o.object_id AND i.is_primary_key = 1
LEFT JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.column_id = c.column_id
WHERE o.type IN ('U', 'V') AND o.is_ms_shipped = 0 AND s.name = @p1
ORDER BY o.name, c.column_id`
)

// MSSQLSourceType maps a SQL Server column: its (base) type name as sys.types spells it, and
// precision, scale and max_length as sys.columns has them. castToText is true for types read
// as text (sql_variant, hierarchyid, geometry, geography, xml, unknown ones).
func MSSQLSourceType(name string, precision, scale, maxLength int) (t Type, castToText bool) {
	name = strings.ToLower(name)
	t.Source = mssqlSpelling(name, precision, scale, maxLength)
	switch name {
	case "bit":
		t.Kind = KindBool
	case "tinyint", "smallint": // tinyint is 0..255
		t.Kind = KindInt16
	case "int":
		t.Kind = KindInt32
	case "bigint":
		t.Kind = KindInt64
	case "decimal", "numeric":
		t.Kind, t.Precision, t.Scale = KindDecimal, precision, scale
	case "money":
		t.Kind, t.Precision, t.Scale = KindDecimal, 19, 4
	case "smallmoney":
		t.Kind, t.Precision, t.Scale = KindDecimal, 10, 4
	case "float":
		t.Kind = KindFloat64
	case "real":
		t.Kind = KindFloat32
	case "char", "varchar", "nchar", "nvarchar", "text", "ntext", "sysname":
		t.Kind = KindText
	case "binary", "varbinary", "image", "timestamp", "rowversion":
		t.Kind = KindBytes
	case "date":
		t.Kind = KindDate
	case "time":
		t.Kind = KindTime
	case "datetime", "datetime2", "smalldatetime":
		t.Kind = KindTimestamp
	case "datetimeoffset":
		t.Kind = KindTimestampTZ
	case "uniqueidentifier":
		t.Kind = KindUUID
	case "json":
		t.Kind = KindJSON
	default:
		t.Kind = KindText
		return t, true
	}
	return t, false
}

// mssqlSpelling is the declared type, as a CAST target: lengths in characters, max for -1.
func mssqlSpelling(name string, precision, scale, maxLength int) string {
	length := func(perChar int) string {
		if maxLength == -1 {
			return name + "(max)"
		}
		return name + "(" + strconv.Itoa(maxLength/perChar) + ")"
	}
	switch name {
	case "varchar", "char", "varbinary", "binary":
		return length(1)
	case "nvarchar", "nchar":
		return length(2)
	case "decimal", "numeric":
		return fmt.Sprintf("%s(%d,%d)", name, precision, scale)
	case "datetime2", "time", "datetimeoffset":
		return fmt.Sprintf("%s(%d)", name, scale)
	}
	return name
}

func (s *mssqlSource) Tables(ctx context.Context, schema string, names []string) ([]*Table, error) {
	if schema == "" {
		schema = s.defaultSchema
	}
	rows, err := s.tx.QueryContext(ctx, mssqlColumnsSQL, schema)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var all []*Table
	var pks []map[int]string
	for rows.Next() {
		var table, col, typ string
		var precision, scale, maxLength, pkPos int
		var nullable bool
		if err := rows.Scan(&table, &col, &typ, &precision, &scale, &maxLength, &nullable, &pkPos); err != nil {
			return nil, err
		}
		if len(all) == 0 || all[len(all)-1].Name != table {
			all = append(all, &Table{Schema: schema, Name: table})
			pks = append(pks, map[int]string{})
		}
		t := all[len(all)-1]
		ct, cast := MSSQLSourceType(typ, precision, scale, maxLength)
		t.Columns = append(t.Columns, Column{Name: col, Type: ct, Nullable: nullable})
		t.CastText = append(t.CastText, cast)
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
	return SelectTables(all, schema, names)
}

// msIdent quotes an identifier in brackets.
func msIdent(name string) string { return "[" + strings.ReplaceAll(name, "]", "]]") + "]" }

func msQualified(t *Table) string { return msIdent(t.Schema) + "." + msIdent(t.Name) }

// msParamType is what a parameter is cast to before it meets its column: the column's own type
// (so the comparison is the column's, and an index on it serves), with the widest precision of
// time types (datetime takes no more than three digits of a second from text) and no
// comparison-less text types.
func msParamType(c *Column) string {
	switch c.Type.Kind {
	case KindTimestamp:
		return "datetime2(7)"
	case KindTimestampTZ:
		return "datetimeoffset(7)"
	case KindTime:
		return "time(7)"
	}
	switch c.Type.Source {
	case "text", "ntext", "xml":
		return "nvarchar(max)"
	case "image", "timestamp", "rowversion":
		return "varbinary(max)"
	}
	return c.Type.Source
}

// mssqlWhere builds the WHERE clause of a window, values as @p parameters.
func mssqlWhere(t *Table, w Window) (string, []any, error) {
	var args []any
	where, err := WindowWhere(t, w, WhereSyntax{
		Column: func(c *Column) string {
			switch c.Type.Source {
			case "text", "ntext", "xml": // types without comparison operators
				return "CAST(" + msIdent(c.Name) + " AS nvarchar(max))"
			}
			return msIdent(c.Name)
		},
		Bind: func(c *Column, v any) string {
			args = append(args, fmt.Sprint(v))
			return "CAST(@p" + strconv.Itoa(len(args)) + " AS " + msParamType(c) + ")"
		},
		CursorValue: func(c *Column, from any) any { return CursorParamText(c.Type.Kind, from) },
	})
	return where, args, err
}

// mssqlSelect is the SELECT of a window: types without a mapping as text (CLR types through
// their ToString()), uniqueidentifier as its canonical text.
func mssqlSelect(t *Table, w Window) (string, []any, error) {
	where, args, err := mssqlWhere(t, w)
	if err != nil {
		return "", nil, err
	}
	exprs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		e := msIdent(c.Name)
		switch {
		case c.Type.Kind == KindUUID:
			e = "CONVERT(char(36), " + e + ")"
		case c.Type.Kind == KindJSON:
			e = "CONVERT(nvarchar(max), " + e + ")"
		case t.CastText[i]:
			switch c.Type.Source {
			case "hierarchyid", "geometry", "geography":
				e += ".ToString()"
			default:
				e = "CONVERT(nvarchar(max), " + e + ")"
			}
		}
		exprs[i] = e + " AS " + msIdent(c.Name)
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + msQualified(t) + where
	if w.Cursor != "" {
		q += " ORDER BY " + msIdent(w.Cursor)
		if w.Desc {
			q += " DESC"
		}
	}
	return q, args, nil
}

func (s *mssqlSource) Count(ctx context.Context, t *Table, w Window) (int64, error) {
	where, args, err := mssqlWhere(t, w)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.tx.QueryRowContext(ctx, "SELECT COUNT_BIG(*) FROM "+msQualified(t)+where, args...).Scan(&n)
	return n, err
}

func (s *mssqlSource) Read(ctx context.Context, t *Table, w Window, batchSize int, emit Emit) error {
	q, args, err := mssqlSelect(t, w)
	if err != nil {
		return err
	}
	rows, err := s.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	vals := make([]any, len(t.Columns))
	targets := make([]any, len(vals))
	for i := range vals {
		targets[i] = &vals[i]
	}
	b := NewBatch(t.Columns, batchSize)
	for rows.Next() {
		if err := rows.Scan(targets...); err != nil {
			return fmt.Errorf("read %s: %w", t.QualifiedName(), err)
		}
		row := b.Next()
		drop := false
		for i, raw := range vals {
			b.Bytes += mssqlSize(raw)
			v, err := mssqlValue(t.Columns[i].Type.Kind, raw)
			if err != nil {
				d, ferr := w.reject.bad(t.Columns, append([]any(nil), vals...), i, err)
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

func mssqlSize(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 0
	case []byte:
		return int64(len(x))
	case string:
		return int64(len(x))
	default:
		return 8
	}
}

var errMSSQLValue = errors.New("unexpected value from the driver")

// mssqlValue converts what go-mssqldb hands over to the kind's representation: integers as
// int64, bit as bool, decimal and money as their exact text, floats as float64, the time types
// as time.Time (in UTC for the zoneless ones, as the session's encoding is set up).
func mssqlValue(k Kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func() (any, error) { return nil, fmt.Errorf("%w: %T for %s", errMSSQLValue, v, k) }
	switch k {
	case KindInt16, KindInt32, KindInt64:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case int16:
			return int64(x), nil
		case uint8:
			return int64(x), nil
		}
		return bad()
	case KindBool:
		if x, ok := v.(bool); ok {
			return x, nil
		}
		return bad()
	case KindDecimal:
		switch x := v.(type) {
		case []byte:
			return ParseNumeric(string(x))
		case string:
			return ParseNumeric(x)
		}
		return bad()
	case KindFloat32, KindFloat64:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
		return bad()
	case KindBytes:
		if x, ok := v.([]byte); ok {
			return append(make([]byte, 0, len(x)), x...), nil
		}
		return bad()
	case KindDate:
		if x, ok := v.(time.Time); ok {
			return time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.UTC), nil
		}
		return bad()
	case KindTime:
		if x, ok := v.(time.Time); ok {
			// time(7) counts 100 ns; a time of day here keeps microseconds.
			us := ((int64(x.Hour())*60+int64(x.Minute()))*60+int64(x.Second()))*1_000_000 + int64(x.Nanosecond()/1000)
			return pgtype.Time{Microseconds: us, Valid: true}, nil
		}
		return bad()
	case KindTimestamp:
		if x, ok := v.(time.Time); ok {
			return time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC), nil
		}
		return bad()
	case KindTimestampTZ:
		if x, ok := v.(time.Time); ok {
			return x.UTC(), nil
		}
		return bad()
	case KindUUID:
		var text string
		switch x := v.(type) {
		case string:
			text = x
		case []byte:
			text = string(x)
		default:
			return bad()
		}
		u, err := uuid.Parse(strings.TrimSpace(text))
		return [16]byte(u), err
	default:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
		return fmt.Sprint(v), nil
	}
}

// parseMSSQLURL reads sqlserver://user:pass@host:port/db or …?database=db, with encrypt
// (disable, false, true, strict), trust_server_certificate and schema from the query.
func parseMSSQLURL(u *url.URL) (Endpoint, error) {
	q := u.Query()
	cfg := map[string]any{"host": u.Hostname(), "user": u.User.Username()}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" {
		db = q.Get("database")
	}
	cfg["database"] = db
	if p, ok := u.User.Password(); ok && p != "" {
		cfg["password"] = p
	}
	if err := setPort(cfg, u); err != nil {
		return Endpoint{}, err
	}
	if e := q.Get("encrypt"); e != "" {
		cfg["encrypt"] = e
	}
	if v := q.Get("trust_server_certificate"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Endpoint{}, fmt.Errorf("trust_server_certificate must be true or false")
		}
		cfg["trust_server_certificate"] = b
	}
	if s := q.Get("schema"); s != "" {
		cfg["schema"] = s
	}
	if cfg["host"] == "" || cfg["user"] == "" || db == "" {
		return Endpoint{}, fmt.Errorf("a sqlserver URL needs a user, a host and a database: sqlserver://user:pass@host:1433/db")
	}
	return Endpoint{Type: "mssql", Config: cfg}, nil
}
