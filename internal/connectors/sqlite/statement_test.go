package sqlite

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSingleStatement_FollowsSQLiteLexicalRules(t *testing.T) {
	t.Parallel()
	one := []string{
		"SELECT 1",
		"SELECT 1;",
		"SELECT 1; ;  -- trailing comment\n /* and block */",
		"SELECT ';' AS s",
		`SELECT "a;b" FROM t`,
		"SELECT [a;b] FROM t",
		"SELECT `a;b` FROM t",
		"SELECT 'it''s; fine'",
		"SELECT 1 -- ; not a second\n",
		"SELECT 1 /* ; */",
		"SELECT 1;\x00DROP TABLE t",
	}
	for _, sql := range one {
		require.True(t, singleStatement(sql), sql)
	}
	many := []string{
		"SELECT 1; SELECT 2",
		"SELECT 1;DROP TABLE t",
		"SELECT 'a'; SELECT ';'",
		"SELECT 1; -- c\nSELECT 2",
		"SELECT 1; /* c */ SELECT 2",
	}
	for _, sql := range many {
		require.False(t, singleStatement(sql), sql)
	}
}
