package transform

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompat_ModulesItertoolsAndPytz(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "dbt_modules", steps: []compatStep{
		{command: CmdRun, status: StatusError, want: map[string]compatWant{
			"model.compat_dbt_modules.modules_values": {status: StatusSuccess},
			"model.compat_dbt_modules.datetime_math":  {status: StatusSuccess},
			"model.compat_dbt_modules.bad_zone": {status: StatusError,
				message: `modules.pytz.timezone: unknown time zone "Mars/Olympus_Mons"`},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t, map[string]string{
			"chained": "1,2,3", "flat": "1,2,3", "product": "x1,x2,y1,y2", "product_repeat": "8",
			"combinations": "ab,ac,bc", "permutations": "12,13,21,23,31,32", "sliced": "bd12",
			"grouped": "1x2,2x1,1x1", "zipped": "1a,2-",
			"utc_name": "UTC", "zone": "Europe/Paris",
			"winter": "2024-01-15 09:30:00+01:00", "winter_utc": "2024-01-15 08:30:00+00:00",
			"summer_paris": "2024-07-01 14:00:00+02:00", "summer_fmt": "2024-07-01 14:00",
			"started_zone": "Europe/Paris", "has_now_in_tz": "true",
		}, rowText(t, db, `select * from compat.modules_values`))
		require.Equal(t, map[string]string{
			"leap_day_after": "2024-03-01", "day_before": "2024-02-29 00:00:00",
			"span": "29 days, 0:00:00", "span_days": "29", "delta": "6 days, 22:30:00",
			"negative": "-1 day, 0:00:00", "shapes": "2024-02-28|2024-03-01|2", "today_works": "true",
			"numbers": "4", "others": "[1, 2]ab",
		}, rowText(t, db, `select * from compat.datetime_math`))
	}})
}
