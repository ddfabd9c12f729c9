package transform

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform/dialect"
)

func unitTestsCase(leftovers func(t *testing.T, db *sql.DB, schema string) int) compatCase {
	const p = "compat_unit_tests"
	ut := "unit_test." + p + "."
	wrong := compatWant{status: StatusFail, failures: 2, message: "actual differs from expected (--- expected, missing from the actual; +++ in the actual, not expected):\n" +
		"@@  | customer_id | name | n_orders | total\n" +
		"--- | 1           | Ada  | 2        | 10   \n" +
		"+++ | 1           | Ada  | 2        | 9    "}
	units := map[string]compatWant{
		ut + "stg_orders.drops_cancelled_orders":           {status: StatusPass},
		ut + "customer_totals.totals_per_customer":         {status: StatusPass},
		ut + "customer_totals.totals_wrong_on_purpose":     wrong,
		ut + "new_orders.only_new_orders_when_incremental": {status: StatusPass},
		ut + "gifts.keeps_gifts_only":                      {status: StatusPass},
		ut + "constants.constants_from_vars":               {status: StatusPass},
	}
	build := map[string]compatWant{
		"seed." + p + ".raw_orders":                        {status: StatusSuccess, rows: 3},
		"seed." + p + ".raw_customers":                     {status: StatusSuccess, rows: 2},
		"seed." + p + ".raw_gifts":                         {status: StatusSuccess, rows: 2},
		"model." + p + ".gifts":                            {status: StatusSuccess},
		"model." + p + ".constants":                        {status: StatusSuccess},
		"model." + p + ".stg_orders":                       {status: StatusSuccess},
		"model." + p + ".new_orders":                       {status: StatusSuccess},
		"test." + p + ".not_null_stg_orders_id.8cf5724805": {status: StatusPass},
		"model." + p + ".customer_totals": {status: StatusSkipped,
			message: "skipped because " + ut + "customer_totals.totals_wrong_on_purpose did not succeed"},
	}
	for id, w := range units {
		build[id] = w
	}
	return compatCase{dir: "unit_tests", steps: []compatStep{
		{command: CmdSeed, status: StatusSuccess, want: map[string]compatWant{
			"seed." + p + ".raw_orders":    {status: StatusSuccess, rows: 3},
			"seed." + p + ".raw_customers": {status: StatusSuccess, rows: 2},
			"seed." + p + ".raw_gifts":     {status: StatusSuccess, rows: 2},
		}},
		// Before any model is built: the inputs' types are inferred from the given rows.
		{command: CmdTest, sel: "test_type:unit", status: StatusError, want: units},
		{command: CmdBuild, status: StatusError, want: build},
		// Now the inputs exist and give their types; a unit test is selected by its name.
		{command: CmdTest, sel: "drops_cancelled_orders", status: StatusSuccess, want: map[string]compatWant{
			ut + "stg_orders.drops_cancelled_orders": {status: StatusPass},
		}},
		{command: CmdTest, sel: "customer_totals", exclude: "totals_wrong_on_purpose", status: StatusSuccess, want: map[string]compatWant{
			ut + "customer_totals.totals_per_customer": {status: StatusPass},
		}},
		// run builds models only, whatever their unit tests say.
		{command: CmdRun, status: StatusSuccess, want: map[string]compatWant{
			"model." + p + ".stg_orders":      {status: StatusSuccess},
			"model." + p + ".new_orders":      {status: StatusSuccess},
			"model." + p + ".customer_totals": {status: StatusSuccess},
			"model." + p + ".gifts":           {status: StatusSuccess},
			"model." + p + ".constants":       {status: StatusSuccess},
		}},
	}, checkIn: func(t *testing.T, db *sql.DB, schema string) {
		require.Zero(t, leftovers(t, db, schema), "every unit test's schema is dropped")
	}}
}

func TestCompat_UnitTestsRunOnGivenRowsBeforeTheirModel(t *testing.T) {
	t.Parallel()
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		runCompatOn(t, unitTestsCase(func(t *testing.T, db *sql.DB, schema string) int {
			return scalar[int](t, db, `select count(*) from information_schema.schemata where schema_name like 'compat\_\_dbt\_unit\_%'`)
		}), dialect.Postgres)
	})
	t.Run("mariadb", func(t *testing.T) {
		t.Parallel()
		runCompatOn(t, unitTestsCase(func(t *testing.T, db *sql.DB, schema string) int {
			return len(databasesLike(t.Context(), db, schema+"\\_\\_dbt\\_unit\\_%"))
		}), dialect.MySQL)
	})
}

func TestCompat_UnitTestMistakesFailTheUnitTestNamingTheProblem(t *testing.T) {
	t.Parallel()
	const ut = "unit_test.compat_unit_errors."
	runCompat(t, compatCase{dir: "unit_tests_errors", steps: []compatStep{
		{command: CmdSeed, status: StatusSuccess, warnings: []string{"unit test ignored"}, want: map[string]compatWant{
			"seed.compat_unit_errors.things": {status: StatusSuccess, rows: 1},
		}},
		{command: CmdTest, status: StatusError, warnings: []string{
			"models/schema.yml:46: unit test ignored: it needs a name and a model",
		}, want: map[string]compatWant{
			ut + "ghost.for_a_ghost": {status: StatusError,
				message: `models/schema.yml:3: unit test for_a_ghost is for model "ghost", which is not a model of the project`},
			ut + "base.not_an_input": {status: StatusError,
				message: "models/schema.yml:7: unit test not_an_input: input ref('joined') is not an input of model base"},
			ut + "base.no_such_column": {status: StatusError,
				message: `models/schema.yml:11: unit test no_such_column: input ref('things'): column "colour" is not a column of "compat"."things" (its columns: id, kind)`},
			ut + "joined.missing_input": {status: StatusError,
				message: "model joined reads ref('base'), which the unit test gives no rows for"},
			ut + "base.no_such_expected_column": {status: StatusError,
				message: `expect: column "colour" is not in the model's output (its columns: id, kind)`},
			ut + "joined.seed_used_as_it_is":                  {status: StatusPass},
			ut + "stamped.overrides_macros_vars_and_env_vars": {status: StatusPass},
			ut + "base.bad_format": {status: StatusError,
				message: `models/schema.yml:38: unit test bad_format: input ref('things'): format "xml" is not dict, csv or sql`},
			ut + "base.rows_not_a_list": {status: StatusError,
				message: `models/schema.yml:42: unit test rows_not_a_list: input ref('things'): rows: of format dict must be a list of maps, not map[string]interface {}`},
			// dbt looks a dotted override up in the package namespaces; adapter is no namespace
			// of macros, and its methods cannot be replaced.
			ut + "base.overrides_an_adapter_method": {status: StatusError,
				message: `models/schema.yml:49: unit test overrides_an_adapter_method: overrides: macros: adapter.get_relation: a unit test cannot override a method of adapter, as in dbt`},
		}},
	}})
}
