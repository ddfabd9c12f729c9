package myload

import (
	"testing"

	"github.com/datanika/datanika/internal/load/loadtest/dbtest"
)

const (
	fits = dbtest.WidenFits
	inc  = dbtest.WidenIncompatible
)

func TestWiden_MySQL(t *testing.T) {
	t.Parallel()
	dbtest.CheckWidening(t, widenMySQL, [][3]string{
		// have (COLUMN_TYPE, MariaDB spells display widths), want (MySQLColumnType)
		{"int(11)", "int", fits},
		{"bigint(20)", "int", fits},
		{"smallint(6)", "int", "int"},
		{"int(11)", "bigint", "bigint"},
		{"tinyint(4)", "smallint", "smallint"},
		{"int(10) unsigned", "int", "bigint"},
		{"bigint(20) unsigned", "bigint", "decimal(20,0)"},
		{"bigint(20)", "int", fits},
		{"tinyint(1)", "tinyint(1)", fits},
		{"tinyint(1)", "int", "int"},
		{"int(11)", "tinyint(1)", fits},
		// decimals, capped at decimal(65, s) with at most 30 digits of scale
		{"decimal(12,2)", "int", fits},
		{"decimal(10,2)", "bigint", "decimal(21,2)"},
		{"decimal(10,2)", "decimal(20,6)", "decimal(20,6)"},
		{"decimal(10,4)", "decimal(12,2)", "decimal(14,4)"},
		{"decimal(60,0)", "decimal(30,20)", "decimal(65,20)"},
		{"decimal(40,10)", "decimal(65,30)", "decimal(65,30)"},
		{"int(11)", "decimal(20,6)", "decimal(20,6)"},
		{"int(11)", "decimal(9,0)", fits},
		// floats
		{"float", "double", "double"},
		{"double", "int", fits},
		{"float", "int", "double"},
		{"double", "bigint", inc}, // no exact decimal for both (fractions past 30 digits would round)
		{"decimal(10,2)", "double", inc},
		// strings: varchar, then the *text types by length (utf8mb4: 4 bytes a character)
		{"varchar(20)", "varchar(255)", "varchar(255)"},
		{"varchar(255)", "varchar(20)", fits},
		{"varchar(20)", "longtext", "longtext"},
		{"varchar(20)", "tinytext", "tinytext"},
		{"text", "varchar(255)", fits},
		{"tinytext", "varchar(100)", "text"},
		{"varchar(20000)", "varchar(255)", fits},
		{"mediumtext", "longtext", "longtext"},
		{"longtext", "json", fits}, // MariaDB's JSON is a longtext
		{"json", "longtext", "longtext"},
		{"longtext", "bigint", fits},
		{"bigint(20)", "longtext", "longtext"},
		{"bigint(20)", "varchar(255)", "varchar(255)"},
		{"char(36)", "char(36)", fits},
		{"varbinary(255)", "longblob", "longblob"},
		{"longblob", "varbinary(255)", fits},
		{"longblob", "longtext", inc},
		// dates and times (an instant is a datetime(6) in UTC there)
		{"date", "datetime(6)", "datetime(6)"},
		{"datetime(6)", "date", fits},
		{"datetime", "datetime(6)", "datetime(6)"},
		{"timestamp", "datetime(6)", "datetime(6)"},
		{"time(6)", "time(6)", fits},
		{"time", "time(6)", "time(6)"},
		{"date", "time(6)", inc},
	})
}
