package load

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/internal/connectors"
	liteconn "github.com/datanika/datanika/internal/connectors/sqlite"
)

// sqliteSource reads an SQLite file, read-only. SQLite types values rather than columns, so
// each value is converted to the kind its column's declared type maps to; a value that does
// not convert fails the run naming the column.
type sqliteSource struct {
	db       *sql.DB
	conn     *sql.Conn
	hidePath func(error) error
}

// OpenSQLiteSource opens a sqlite connection config's file through env's FileResolver.
func OpenSQLiteSource(ctx context.Context, config map[string]any, env connectors.Env) (Source, error) {
	c, err := liteconn.New(config, env)
	if err != nil {
		return nil, err
	}
	db, conn, hide, err := c.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("open source sqlite file: %w", err)
	}
	// One read transaction: the rows and the verify count see the same file.
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		_ = conn.Close()
		_ = db.Close()
		return nil, hide(err)
	}
	return &sqliteSource{db: db, conn: conn, hidePath: hide}, nil
}

func (s *sqliteSource) Close() error {
	_, _ = s.conn.ExecContext(context.Background(), "ROLLBACK")
	_ = s.conn.Close()
	return s.db.Close()
}

func liteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func (s *sqliteSource) Tables(ctx context.Context, _ string, names []string) ([]*Table, error) {
	tableNames, err := s.tableNames(ctx)
	if err != nil {
		return nil, s.hidePath(err)
	}
	all := make([]*Table, 0, len(tableNames))
	for _, n := range tableNames {
		t, err := s.table(ctx, n)
		if err != nil {
			return nil, s.hidePath(err)
		}
		all = append(all, t)
	}
	// The catalog shows the file as SQLite's one schema, "main", so a table picked there arrives
	// as "main.<table>"; a table really named so still wins.
	names = slices.Clone(names)
	for i, n := range names {
		if rest, ok := strings.CutPrefix(n, "main."); ok && !slices.Contains(tableNames, n) {
			names[i] = rest
		}
	}
	return SelectTables(all, "", names)
}

func (s *sqliteSource) tableNames(ctx context.Context) ([]string, error) {
	rows, err := s.conn.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type IN ('table', 'view')
AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// table reads a table's columns by their declared types, and its primary key.
func (s *sqliteSource) table(ctx context.Context, name string) (*Table, error) {
	t := &Table{Name: name}
	rows, err := s.conn.QueryContext(ctx, `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, name)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	pk := map[int]string{}
	for rows.Next() {
		var col, declared string
		var notNull bool
		var pkPos int
		if err := rows.Scan(&col, &declared, &notNull, &pkPos); err != nil {
			return nil, err
		}
		t.Columns = append(t.Columns, Column{Name: col, Type: SQLiteSourceType(declared), Nullable: !notNull})
		t.CastText = append(t.CastText, false)
		if pkPos > 0 {
			pk[pkPos] = col
		}
	}
	for p := 1; p <= len(pk); p++ {
		t.PrimaryKey = append(t.PrimaryKey, pk[p])
	}
	return t, rows.Err()
}

func (s *sqliteSource) where(t *Table, w Window) (string, []any, error) {
	var args []any
	where, err := WindowWhere(t, w, WhereSyntax{
		Column: func(c *Column) string { return liteIdent(c.Name) },
		Bind: func(_ *Column, v any) string {
			args = append(args, liteParam(v))
			return "?"
		},
		CursorValue: func(c *Column, from any) any {
			switch v := from.(type) {
			case int64, float64:
				return v
			case time.Time:
				if c.Type.Kind == KindDate {
					return v.Format("2006-01-02")
				}
				return v.UTC().Format("2006-01-02 15:04:05.999999")
			default:
				return Canonical(c.Type.Kind, v)
			}
		},
	})
	return where, args, err
}

// liteParam passes numbers as numbers, since SQLite compares an integer column's values with
// a text parameter as text.
func liteParam(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	default:
		return x
	}
}

func (s *sqliteSource) Count(ctx context.Context, t *Table, w Window) (int64, error) {
	where, args, err := s.where(t, w)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.conn.QueryRowContext(ctx, "SELECT count(*) FROM "+liteIdent(t.Name)+where, args...).Scan(&n)
	return n, s.hidePath(err)
}

func (s *sqliteSource) Read(ctx context.Context, t *Table, w Window, batchSize int, emit Emit) error {
	where, args, err := s.where(t, w)
	if err != nil {
		return err
	}
	exprs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		exprs[i] = liteIdent(c.Name)
	}
	//nolint:gosec // identifiers are quoted; values are bind parameters
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + liteIdent(t.Name) + where
	if w.Cursor != "" {
		q += " ORDER BY " + liteIdent(w.Cursor)
		if w.Desc {
			q += " DESC"
		}
	}
	rows, err := s.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return s.hidePath(err)
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
			return fmt.Errorf("read %s: %w", t.Name, s.hidePath(err))
		}
		row := b.Next()
		drop := false
		for i, v := range vals {
			if v == nil {
				continue
			}
			c := &t.Columns[i]
			cv, n, err := sqliteValue(c.Type, v)
			if err != nil {
				d, ferr := w.reject.bad(t.Columns, vals, i, fmt.Errorf("declared %q: %w", c.Type.Source, err))
				if ferr != nil {
					return fmt.Errorf("read %s, column %q: %w", t.Name, c.Name, ferr)
				}
				drop = drop || d
				cv = nil
			}
			row[i] = cv
			b.Bytes += n
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
		return fmt.Errorf("read %s: %w", t.Name, s.hidePath(err))
	}
	if b.Len() > 0 {
		_, err = emit(b)
	}
	return err
}

// sqliteValue converts a stored value (int64, float64, string, []byte or, for date-declared
// columns, time.Time) to the column's kind; n is its stored size.
func sqliteValue(t Type, v any) (out any, n int64, err error) {
	switch x := v.(type) {
	case string:
		n = int64(len(x))
	case []byte:
		n = int64(len(x))
	default:
		n = 8
	}
	switch t.Kind {
	case KindInt16, KindInt32, KindInt64:
		switch x := v.(type) {
		case int64:
			return x, n, nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
				return int64(x), n, nil
			}
		case string:
			i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			return i, n, err
		}
	case KindDecimal:
		switch x := v.(type) {
		case int64:
			return pgtype.Numeric{Int: bigInt(x), Valid: true}, n, nil
		case float64:
			num, err := numericFromFloat(x, t.Scale, t.Precision > 0)
			return num, n, err
		case string:
			num, err := ParseNumeric(x)
			return num, n, err
		}
	case KindFloat32, KindFloat64:
		switch x := v.(type) {
		case float64:
			return x, n, nil
		case int64:
			return float64(x), n, nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			return f, n, err
		}
	case KindBool:
		switch x := v.(type) {
		case int64:
			return x != 0, n, nil
		case float64:
			return x != 0, n, nil
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(x))
			return b, n, err
		}
	case KindBytes:
		switch x := v.(type) {
		case []byte:
			return append(make([]byte, 0, len(x)), x...), n, nil
		case string:
			return []byte(x), n, nil
		}
	case KindDate, KindTimestamp, KindTimestampTZ:
		switch x := v.(type) {
		case time.Time:
			if t.Kind == KindDate {
				y, m, d := x.Date()
				return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), n, nil
			}
			if t.Kind == KindTimestamp {
				return time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC), n, nil
			}
			return x, n, nil
		case string:
			tm, err := parseTimeText(strings.TrimSpace(x), t.Kind)
			return tm, n, err
		case int64:
			return time.Unix(x, 0).UTC(), n, nil // a Unix time
		}
	case KindTime:
		if x, ok := v.(string); ok {
			tm, err := ParseTimeOfDay(strings.TrimSpace(x))
			return tm, n, err
		}
	case KindUUID:
		switch x := v.(type) {
		case string:
			u, err := uuid.Parse(x)
			return [16]byte(u), n, err
		case []byte:
			if len(x) == 16 {
				return [16]byte(x), n, nil
			}
		}
	case KindJSON:
		switch x := v.(type) {
		case string:
			if !json.Valid([]byte(x)) {
				return nil, n, fmt.Errorf("the value is not valid JSON")
			}
			return x, n, nil
		case []byte:
			return string(x), n, nil
		case int64, float64:
			return fmt.Sprint(x), n, nil
		}
	default: // text: any value, as its text
		switch x := v.(type) {
		case string:
			return x, n, nil
		case []byte:
			return string(x), n, nil
		case int64:
			return strconv.FormatInt(x, 10), n, nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), n, nil
		case time.Time:
			return x.Format("2006-01-02 15:04:05.999999999Z07:00"), n, nil
		}
	}
	return nil, n, fmt.Errorf("a stored %T value does not convert to %s", v, t.Kind)
}
