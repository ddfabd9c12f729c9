package myload_test

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/myload"
	"github.com/stretchr/testify/require"
)

// durationRows are MySQL TIME values at the edges of their range (±838:59:59.999999), beyond
// a day, below zero (also "-00:00:00.x", negative without a whole second) and NULL, for
// TIME, TIME(3) and TIME(6).
var durationRows = [][3]string{
	{"838:59:59", "838:59:59.999", "838:59:59.999999"},
	{"-838:59:59", "-838:59:59.999", "-838:59:59.999999"},
	{"00:00:00", "-00:00:00.001", "-00:00:00.000001"},
	{"24:00:00", "100:00:00.5", "12:34:56.789012"},
	{"-01:02:03", "23:59:59.999", "-23:59:59.999999"},
	{"", "", ""}, // NULL
}

func makeDurations(t *testing.T, my *sql.DB) {
	t.Helper()
	var values []string
	for i, r := range durationRows {
		v := []string{strconv.Itoa(i + 1)}
		for _, s := range r {
			if s == "" {
				v = append(v, "NULL")
			} else {
				v = append(v, "'"+s+"'")
			}
		}
		values = append(values, "("+strings.Join(v, ", ")+")")
	}
	_, err := my.ExecContext(context.Background(), "CREATE TABLE durations (id INT PRIMARY KEY, t0 TIME, t3 TIME(3), t6 TIME(6));"+
		"INSERT INTO durations VALUES "+strings.Join(values, ", "))
	require.NoError(t, err)
}

// myColumnTypes is information_schema's COLUMN_TYPE of a destination table's columns, by name.
func myColumnTypes(t *testing.T, my *myEnv, table string) map[string]string {
	t.Helper()
	rows, err := my.db.QueryContext(context.Background(), `SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, my.name, table)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	types := map[string]string{}
	for rows.Next() {
		var n, typ string
		require.NoError(t, rows.Scan(&n, &typ))
		types[n] = typ
	}
	require.NoError(t, rows.Err())
	return types
}

// MariaDB to MariaDB, a TIME stays a TIME of the same fractional digits, every value equal,
// by LOAD DATA and by INSERT.
func TestRun_MariaDBTimeStaysATimeIntoMariaDB(t *testing.T) {
	srcDB, srcURL := mysqlDB(t)
	makeDurations(t, srcDB)
	src, err := load.ParseURL(srcURL)
	require.NoError(t, err)
	for _, insert := range []bool{false, true} {
		t.Run(fmt.Sprintf("insert=%v", insert), func(t *testing.T) {
			myload.ForceInsert(insert)
			defer myload.ForceInsert(false)
			dst := newMyDest(t)
			res, err := runLoad(t, dst.spec(src, mustConfig(t, `{"write_disposition": "replace", "verify": "checksum"}`)))
			require.NoError(t, err)
			require.Equal(t, int64(len(durationRows)), res.RowsLoaded)
			types := myColumnTypes(t, dst, "durations")
			require.Equal(t, "time", types["t0"])
			require.Equal(t, "time(3)", types["t3"])
			require.Equal(t, "time(6)", types["t6"])
			srcName := strings.TrimPrefix(srcURL[strings.LastIndex(srcURL, "/"):], "/")
			require.Equal(t, int64(len(durationRows)), dst.count(t, "SELECT COUNT(*) FROM `"+srcName+"`.durations s JOIN `"+dst.name+
				"`.durations d USING (id) WHERE s.t0 <=> d.t0 AND s.t3 <=> d.t3 AND s.t6 <=> d.t6"))
		})
	}
}
