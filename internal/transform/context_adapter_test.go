package transform

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompat_AdapterRelationMethodsChangeTheDatabase(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "dbt_adapter_ops", steps: []compatStep{
		{command: CmdRun, status: StatusSuccess, want: map[string]compatWant{
			"model.compat_adapter_ops.narrow":      {status: StatusSuccess},
			"model.compat_adapter_ops.adapter_ops": {status: StatusSuccess},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t, map[string]string{
			"before": "False", "created": "True", "rows_left": "0", "a_gone": "True", "b_kind": "table",
			"missing": "y", "b_gone": "True", "schema_gone": "True",
		}, rowText(t, db, `select * from compat.adapter_ops`))
	}})
}
