package myload

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/datanika/datanika/internal/load"
)

var _ load.RangeSource = (*mysqlSource)(nil)

var _ load.MySQLTextSource = (*mysqlSource)(nil)

// EstimateRows is information_schema.TABLES.TABLE_ROWS (InnoDB's estimate); -1 when unknown.
func (s *mysqlSource) EstimateRows(ctx context.Context, t *load.Table) (int64, error) {
	var n sql.NullInt64
	err := s.conn.QueryRowContext(ctx, "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		t.Schema, t.Name).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !n.Valid) {
		return -1, nil
	}
	return n.Int64, err
}

func (s *mysqlSource) KeyBounds(ctx context.Context, t *load.Table, w load.Window, column string) (lo, hi int64, ok bool, err error) {
	where, args, err := s.where(t, w)
	if err != nil {
		return 0, 0, false, err
	}
	var a, b sql.NullInt64
	c := myIdent(column)
	//nolint:gosec // identifiers are quoted by the dialect; values are bind parameters
	q := "SELECT CAST(MIN(" + c + ") AS SIGNED), CAST(MAX(" + c + ") AS SIGNED) FROM " + load.MySQL.Qualified(t.Schema, t.Name) + where
	if err := s.conn.QueryRowContext(ctx, q, args...).Scan(&a, &b); err != nil {
		return 0, 0, false, err
	}
	return a.Int64, b.Int64, a.Valid && b.Valid, nil
}

// RangeReaders opens n-1 more connections, each in its own consistent snapshot: MySQL and
// MariaDB cannot share one between connections (see ranges.go for what that means).
func (s *mysqlSource) RangeReaders(ctx context.Context, n int) ([]load.Source, func(), error) {
	readers := []load.Source{s}
	closeAll := func() {
		for _, r := range readers[1:] {
			_ = r.Close()
		}
	}
	for range n - 1 {
		db := s.newDB()
		db.SetMaxOpenConns(1)
		conn, err := db.Conn(ctx)
		if err == nil {
			if _, err = conn.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
				_ = conn.Close()
			}
		}
		if err != nil {
			_ = db.Close()
			closeAll()
			return nil, nil, fmt.Errorf("connect a reader to source mysql: %w", err)
		}
		readers = append(readers, &mysqlSource{db: db, conn: conn, database: s.database, newDB: s.newDB})
	}
	return readers, closeAll, nil
}
