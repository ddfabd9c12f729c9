package run

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/datanika/datanika/internal/load"
)

// infrastructure reports whether a failed load may succeed if tried again unchanged: the
// network or a database server failed, not the pipeline. Only those are retried by River; a user
// error (bad config, frozen contract, verify mismatch, bad SQL, a missing table or column) fails
// the run at once, since trying again would fail the same way.
func infrastructure(err error) bool {
	if errors.Is(err, errMetadata) {
		return true
	}
	if err == nil || errors.Is(err, load.ErrContract) || errors.Is(err, load.ErrVerify) || errors.Is(err, load.ErrNoTable) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "53"),                                 // insufficient resources
			strings.HasPrefix(pgErr.Code, "58"),                                 // system error
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutdown, cannot connect now
			pgErr.Code == "40001", pgErr.Code == "40P01": // serialization failure, deadlock
			return true
		}
		return false
	}
	var mysqlErr *mysql.MySQLError
	if errors.As(err, &mysqlErr) {
		switch mysqlErr.Number {
		case 1040, 1205, 1213, 2006, 2013: // too many connections, lock wait timeout, deadlock, gone away, lost
			return true
		}
		return false
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, errTimedOut)
}

// oneLine makes an error a run's one-line reason: secrets scrubbed, lines joined, bounded.
func oneLine(err error, scrub *scrubber) string {
	msg := scrub.String(err.Error())
	msg = strings.Join(strings.Fields(msg), " ")
	const limit = 1000
	if len(msg) > limit {
		msg = strings.ToValidUTF8(msg[:limit], "") + "…"
	}
	return msg
}
