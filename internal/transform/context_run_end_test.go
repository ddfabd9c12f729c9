package transform

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompat_OnRunEndSeesResultsAndSchemasAndHooksTakeMapForm(t *testing.T) {
	t.Parallel()
	const p = "compat_on_run_end"
	op := "operation." + p + "." + p + "-"
	runCompat(t, compatCase{dir: "on_run_end_context", steps: []compatStep{
		{command: CmdBuild, status: StatusError, want: map[string]compatWant{
			op + "on-run-start-0":     {status: StatusSuccess},
			op + "on-run-start-1":     {status: StatusSuccess},
			"seed." + p + ".letters":  {status: StatusSuccess, rows: 2},
			"model." + p + ".base":    {status: StatusSuccess},
			"model." + p + ".summary": {status: StatusSuccess},
			"model." + p + ".broken":  {status: StatusError, message: `relation "no_such_relation_here" does not exist`},
			op + "on-run-end-0":       {status: StatusSuccess},
			op + "on-run-end-1":       {status: StatusSuccess},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t,
			"model.compat_on_run_end.base:model:success:0:t:created table|"+
				"model.compat_on_run_end.broken:model:error:0:t:models/broken.sql: ERR|"+
				"model.compat_on_run_end.summary:model:success:0:t:created table|"+
				"seed.compat_on_run_end.letters:seed:success:2:t:created",
			scalar[string](t, db, `select string_agg(concat_ws(':', uid, rtype, status, rows_affected, timed, msg), '|' order by uid) from compat.run_results`))
		require.Equal(t, "compat,compat_marts compat;compat_marts", scalar[string](t, db, `select schemas || ' ' || pairs from compat.schemas_seen`))
		require.Equal(t, "config post base|list post summary|project post base|project post summary",
			scalar[string](t, db, `select string_agg(what, '|' order by what) from compat.hook_log`))
	}})
}
