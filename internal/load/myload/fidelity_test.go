package myload_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
	"github.com/datanika/datanika/internal/load/myload"
	"github.com/stretchr/testify/require"
)

// MariaDB to MariaDB, a TIME stays a TIME of the same fractional digits, every value equal,
// by LOAD DATA and by INSERT.
func TestRun_MariaDBTimeStaysATimeIntoMariaDB(t *testing.T) {
	srcDB, srcURL := dbtest.MySQLDB(t)
	dbtest.MakeDurations(t, srcDB)
	src, err := load.ParseURL(srcURL)
	require.NoError(t, err)
	for _, insert := range []bool{false, true} {
		t.Run(fmt.Sprintf("insert=%v", insert), func(t *testing.T) {
			myload.ForceInsert(insert)
			defer myload.ForceInsert(false)
			dst := dbtest.NewMyDest(t)
			res, err := dbtest.RunLoad(t, dst.Spec(src, dbtest.MustConfig(t, `{"write_disposition": "replace", "verify": "checksum"}`)))
			require.NoError(t, err)
			require.Equal(t, int64(len(dbtest.DurationRows)), res.RowsLoaded)
			types := dbtest.MyColumnTypes(t, dst, "durations")
			require.Equal(t, "time", types["t0"])
			require.Equal(t, "time(3)", types["t3"])
			require.Equal(t, "time(6)", types["t6"])
			srcName := strings.TrimPrefix(srcURL[strings.LastIndex(srcURL, "/"):], "/")
			require.Equal(t, int64(len(dbtest.DurationRows)), dst.Count(t, "SELECT COUNT(*) FROM `"+srcName+"`.durations s JOIN `"+dst.Name+
				"`.durations d USING (id) WHERE s.t0 <=> d.t0 AND s.t3 <=> d.t3 AND s.t6 <=> d.t6"))
		})
	}
}
