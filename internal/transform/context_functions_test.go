package transform

import (
	"bytes"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompat_FlagsInvocationIDContextFunctionsAndIntrospectionInHooks(t *testing.T) {
	t.Parallel()
	const p = "compat_more"
	op := "operation." + p + "." + p + "-"
	logs := &bytes.Buffer{}
	runCompat(t, compatCase{dir: "dbt_context_more", logs: logs, steps: []compatStep{
		{command: CmdBuild, status: StatusSuccess, want: map[string]compatWant{
			op + "on-run-start-0":          {status: StatusSuccess},
			op + "on-run-start-1":          {status: StatusSuccess},
			"seed." + p + ".typed":         {status: StatusSuccess, rows: 2},
			"model." + p + ".cols_probe":   {status: StatusSuccess},
			"model." + p + ".context_more": {status: StatusSuccess},
			op + "on-run-end-0":            {status: StatusSuccess},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t, map[string]string{
			"which": "build", "id_len": "36", "id_version": "4",
			"col_kinds": `"id":False:True,"name":True:False,"amount":False:True`,
			"json_out":  `{"a":[1,2]}`, "json_in": "4", "json_default": "fallback", "yaml_in": "x,y",
			"zipped": "1a,2b", "distinct_items": "1,2,3", "md5": "900150983cd24fb0d6963f7d28e17f72",
			"adapter_type": "postgres",
		}, rowText(t, db, `select * from compat.context_more`))
		// A model's post-hook and on-run-end ask the database, as dbt's do.
		require.Equal(t, "end build:3|id,label:2",
			scalar[string](t, db, `select string_agg(what || ':' || n, '|' order by what) from compat.hook_cols`))
		require.Contains(t, logs.String(), `level=WARN msg="only a warning"`)
	}})
}
