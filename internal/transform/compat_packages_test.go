package transform

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform/dialect"
)

func TestCompat_PackagesRunTheirOwnMacrosModelsVarsAndTests(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "packages", steps: []compatStep{
		{command: CmdBuild, status: StatusSuccess, want: map[string]compatWant{
			"seed.fake_utils.fake_codes":                                              {status: StatusSuccess, rows: 2},
			"model.fake_utils.fake_calendar":                                          {status: StatusSuccess},
			"model.compat_packages.uses_pkg":                                          {status: StatusSuccess},
			"test.compat_packages.fake_utils_is_positive_uses_pkg_doubled.bafdb31a1d": {status: StatusPass},
			"test.compat_packages.doubled_is_positive_bare.c63754bf7d":                {status: StatusPass},
			"test.compat_packages.fake_utils_is_positive_uses_pkg_code.fa5db08d6e":    {status: StatusWarn, failures: 1},
			"test.fake_utils.not_null_fake_calendar_days.316d554669":                  {status: StatusPass},
			"test.fake_utils.is_positive_fake_calendar_days.15e670942a":               {status: StatusPass},
			// The package's test counts its failures with its own config(fail_calc=…).
			"test.compat_packages.fake_utils_same_count_uses_pkg_ref_fake_utils_fake_codes_.3093cb172c": {status: StatusPass},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		// dispatch: the search order's shim_pkg wins wrap, the root project's override wins
		// label, postgres__ comes before default__; a package macro calls its sibling by name.
		require.Equal(t, map[string]string{"wrapped": "shim:a", "casted": "2 (postgres)", "doubled": "42", "labelled": "root:x", "is_relation": "True", "loaded": "True", "maybe": "nothing", "code": "-2"},
			rowText(t, db, `select * from compat.uses_pkg order by code limit 1`))
		// The package's model: its vars under the root's scoped ones, its config (table) under
		// the root's (+schema: pkg).
		require.Equal(t, map[string]string{"days": "10", "label": "pkg", "nine": "9"},
			rowText(t, db, `select * from compat_pkg.fake_calendar`))
		require.Equal(t, "BASE TABLE", scalar[string](t, db,
			`select table_type from information_schema.tables where table_schema = 'compat_pkg' and table_name = 'fake_calendar'`))
		// The package's seed config types its column.
		require.Equal(t, "integer", scalar[string](t, db,
			`select data_type from information_schema.columns where table_schema = 'compat' and table_name = 'fake_codes' and column_name = 'code'`))
	}})
}

func TestCompat_AnInstalledDbtUtilsRunsInsteadOfTheBuiltIn(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "installed_dbt_utils", steps: []compatStep{
		{command: CmdRun, status: StatusSuccess, want: map[string]compatWant{
			"model.compat_installed_utils.src":     {status: StatusSuccess},
			"model.compat_installed_utils.starred": {status: StatusSuccess},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t, "installed star of src", scalar[string](t, db, `select star_of from compat.starred`))
	}})

	// The same project without its installed copy falls back to the built-in dbt_utils.
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "compat", "installed_dbt_utils"))))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "dbt_packages")))
	db := postgresTarget(t)
	p := loadDir(t, dir)
	require.Empty(t, p.Warnings, "dbt_utils has a built-in fallback: not installing it is no problem")
	e, err := New(context.Background(), p, Options{Dialect: dialect.Postgres, TargetSchema: "compat"})
	require.NoError(t, err)
	s, err := e.Run(context.Background(), db, CmdRun, "", "")
	require.NoError(t, err)
	require.Equal(t, StatusSuccess, s.Status, statuses(s))
	require.Equal(t, "1 a", scalar[string](t, db, `select concat_ws(' ', id, name) from compat.starred`))
}

func TestCompat_AFailingTestHoldsBackOnlyTheChildrenOfItsOwnModel(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "test_attached_node", steps: []compatStep{
		{command: CmdBuild, status: StatusError, want: map[string]compatWant{
			"seed.compat_attached.customers":       {status: StatusSuccess, rows: 2},
			"model.compat_attached.orders":         {status: StatusSuccess},
			"model.compat_attached.customer_names": {status: StatusSuccess},
			"test.compat_attached.relationships_orders_customer_id__id__ref_customers_.4282b0c525": {status: StatusFail, failures: 1,
				message: "got 1 result"},
			"model.compat_attached.order_totals": {status: StatusSkipped,
				message: "skipped because test.compat_attached.relationships_orders_customer_id__id__ref_customers_.4282b0c525 did not succeed"},
		}},
	}})
}
