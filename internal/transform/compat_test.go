package transform

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform/dialect"
)

// The compatibility suite: small dbt projects under testdata/compat, one per feature that real
// projects use, each run as its users run it (seed, then build) on the local PostgreSQL.

// compatStep is one command and what it must give: each named node's status, rows and
// failing rows, and the run's overall status.
type compatStep struct {
	command, sel, exclude string
	status                string
	want                  map[string]compatWant
	// warnings are substrings of the summary's warnings, one per warning.
	warnings []string
}

type compatWant struct {
	status   string
	rows     int64
	failures int64
	// message is a substring of the node's message, when set.
	message string
}

type compatCase struct {
	dir   string
	vars  map[string]any
	steps []compatStep
	// check looks at the warehouse after the steps.
	check func(t *testing.T, db *sql.DB)
	// logs, when set, receives the run's log.
	logs *bytes.Buffer
	// checkIn looks at it too, given the target schema (MariaDB's is a database of its own).
	checkIn func(t *testing.T, db *sql.DB, schema string)
}

func runCompat(t *testing.T, c compatCase) {
	t.Helper()
	runCompatOn(t, c, dialect.Postgres)
}

// runCompatOn runs a case on the local PostgreSQL or, for dialect.MySQL, the local MariaDB.
func runCompatOn(t *testing.T, c compatCase, d *dialect.Dialect) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "compat", c.dir))))
	var db *sql.DB
	schema := "compat"
	if d == dialect.MySQL {
		db, schema = mysqlTarget(t)
	} else {
		db = postgresTarget(t)
	}
	p := loadDir(t, dir)
	opts := Options{Dialect: d, TargetSchema: schema, Threads: 4, Vars: c.vars}
	if d == dialect.Postgres {
		// As the command does from its URL (OpenTarget's test covers that part).
		require.NoError(t, db.QueryRow(`select current_database()`).Scan(&opts.TargetDatabase))
	}
	if c.logs != nil {
		opts.Logger = slog.New(slog.NewTextHandler(c.logs, nil))
	}
	e, err := New(context.Background(), p, opts)
	require.NoError(t, err)
	for _, st := range c.steps {
		s, err := e.Run(context.Background(), db, st.command, st.sel, st.exclude)
		require.NoError(t, err)
		got := byID(s)
		for id, w := range st.want {
			r, ok := got[id]
			require.Truef(t, ok, "%s %s: no result for %s; got %v", c.dir, st.command, id, statuses(s))
			require.Equalf(t, w.status, r.Status, "%s %s: %s: %s", c.dir, st.command, id, r.Message)
			require.Equalf(t, w.rows, r.RowsAffected, "%s %s: %s rows", c.dir, st.command, id)
			require.Equalf(t, w.failures, r.Failures, "%s %s: %s failures", c.dir, st.command, id)
			require.Containsf(t, r.Message, w.message, "%s %s: %s message", c.dir, st.command, id)
		}
		require.Lenf(t, s.Nodes, len(st.want), "%s %s: every node of the run is expected: %v", c.dir, st.command, statuses(s))
		require.Equalf(t, st.status, s.Status, "%s %s", c.dir, st.command)
		require.Lenf(t, s.Warnings, len(st.warnings), "%s %s: warnings %v", c.dir, st.command, s.Warnings)
		for i, w := range st.warnings {
			require.Contains(t, s.Warnings[i], w)
		}
	}
	if c.check != nil {
		c.check(t, db)
	}
	if c.checkIn != nil {
		c.checkIn(t, db, schema)
	}
}

// rowText is the first row of a query, every column as text (NULL as "<null>").
func rowText(t *testing.T, db *sql.DB, query string) map[string]string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	require.NoError(t, err)
	require.True(t, rows.Next(), "no row from %s", query)
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	require.NoError(t, rows.Scan(ptrs...))
	out := map[string]string{}
	for i, c := range cols {
		out[c] = "<null>"
		if vals[i].Valid {
			out[c] = vals[i].String
		}
	}
	require.NoError(t, rows.Err())
	return out
}

func statuses(s *Summary) map[string]string {
	out := map[string]string{}
	for _, r := range s.Nodes {
		out[r.UniqueID] = r.Status + ": " + r.Message
	}
	return out
}

func TestCompat_TestNameKeyNamesTheTestAndIsNoArgument(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "test_name_key", steps: []compatStep{
		{command: CmdSeed, status: StatusSuccess, want: map[string]compatWant{
			"seed.compat_test_name.orders": {status: StatusSuccess, rows: 4},
		}},
		{command: CmdBuild, status: StatusSuccess, want: map[string]compatWant{
			"seed.compat_test_name.orders":                                 {status: StatusSuccess, rows: 4},
			"model.compat_test_name.stg_orders":                            {status: StatusSuccess},
			"test.compat_test_name.status_is_known.32136f8d27":             {status: StatusPass},
			"test.compat_test_name.status_is_placed.61baeb78fb":            {status: StatusWarn, failures: 2},
			"test.compat_test_name.status_is_shipped_from_id_2.1ee457be82": {status: StatusPass},
			"test.compat_test_name.id_is_small.ea61faeb44":                 {status: StatusWarn, failures: 1},
			"test.compat_test_name.id_is_unique.32fc02921e":                {status: StatusPass},
		}},
	}})
}

func TestCompat_JinjaInTestArgumentsProjectConfigsAndTrailingCommas(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "jinja_in_config", steps: []compatStep{
		{command: CmdSeed, status: StatusSuccess, want: map[string]compatWant{
			"seed.compat_jinja_in_config.orders": {status: StatusSuccess, rows: 3},
		}},
		{command: CmdBuild, status: StatusSuccess, want: map[string]compatWant{
			"seed.compat_jinja_in_config.orders":                                {status: StatusSuccess, rows: 3},
			"model.compat_jinja_in_config.stg_orders":                           {status: StatusSuccess},
			"model.compat_jinja_in_config.order_counts":                         {status: StatusSuccess},
			"model.compat_jinja_in_config.picked":                               {status: StatusSuccess},
			"test.compat_jinja_in_config.status_is_known.10e11df337":            {status: StatusPass},
			"test.compat_jinja_in_config.only_shipped_when_filtered.9c4ed9b7d5": {status: StatusPass},
			"test.compat_jinja_in_config.picked_is_c.d82305e4d4":                {status: StatusPass},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t, 3, scalar[int](t, db, `select sum(n) from compat_marts.order_counts`))
		require.Equal(t, "BASE TABLE", scalar[string](t, db,
			`select table_type from information_schema.tables where table_schema = 'compat_marts' and table_name = 'order_counts'`))
		require.Equal(t, "c", scalar[string](t, db, `select picked from compat.picked`))
	}})
}

func TestCompat_OneBrokenModelFailsOnlyItselfAndItsChildren(t *testing.T) {
	t.Parallel()
	ghost := `models/schema.yml: model "ghost" is described but there is no such model`
	broken := "macros/shout.sql:4:"
	runCompat(t, compatCase{dir: "error_isolation", steps: []compatStep{
		{command: CmdSeed, status: StatusSuccess, warnings: []string{broken, ghost}, want: map[string]compatWant{
			"seed.compat_error_isolation.customers": {status: StatusSuccess, rows: 2},
		}},
		{command: CmdBuild, status: StatusError, warnings: []string{broken, ghost}, want: map[string]compatWant{
			"seed.compat_error_isolation.customers":                   {status: StatusSuccess, rows: 2},
			"model.compat_error_isolation.good":                       {status: StatusSuccess},
			"model.compat_error_isolation.grandchild_of_good":         {status: StatusSuccess},
			"test.compat_error_isolation.not_null_good_id.cf53bc9459": {status: StatusPass},
			"test.compat_error_isolation.n_in_missing_var.abbdf814fd": {status: StatusError,
				message: "models/schema.yml:11: "},
			"model.compat_error_isolation.bad_macro": {status: StatusError,
				message: "models/bad_macro.sql:2:"},
			"model.compat_error_isolation.bad_syntax": {status: StatusError,
				message: "models/bad_syntax.sql:2:"},
			"model.compat_error_isolation.uses_broken_macro": {status: StatusError,
				message: "macro shout cannot be used: macros/shout.sql:4:"},
			"model.compat_error_isolation.child_of_bad": {status: StatusSkipped,
				message: "skipped because model.compat_error_isolation.bad_macro did not succeed"},
			"test.compat_error_isolation.not_null_bad_macro_id.2946c377c5": {status: StatusSkipped},
		}},
		{command: CmdRun, sel: "good", status: StatusSuccess, warnings: []string{broken, ghost}, want: map[string]compatWant{
			"model.compat_error_isolation.good": {status: StatusSuccess},
		}},
	}})
}

func TestCompat_UnknownMacroInsideIfFailsNamingIt(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "unknown_macro_in_if", steps: []compatStep{
		{command: CmdBuild, status: StatusError, want: map[string]compatWant{
			"model.compat_unknown_macro_in_if.flagged":       {status: StatusSuccess},
			"model.compat_unknown_macro_in_if.typo_sameas":   {status: StatusError, message: "'feature_enabld' is undefined or not a macro"},
			"model.compat_unknown_macro_in_if.typo_not_none": {status: StatusError, message: "'legacy_mode' is undefined or not a macro"},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t, "beta", scalar[string](t, db, `select flag from compat.flagged`))
	}})
}

func TestCompat_DbtUtilsUnionRelationsStarAndPivotBehaveAsTheRealOnes(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "dbt_utils_builtins", steps: []compatStep{
		{command: CmdBuild, status: StatusSuccess, want: map[string]compatWant{
			"seed.compat_dbt_utils.shop_a":        {status: StatusSuccess, rows: 2},
			"seed.compat_dbt_utils.shop_b":        {status: StatusSuccess, rows: 1},
			"seed.compat_dbt_utils.shop_c":        {status: StatusSuccess, rows: 1},
			"model.compat_dbt_utils.all_shops":    {status: StatusSuccess},
			"model.compat_dbt_utils.nothing_left": {status: StatusSuccess},
			"model.compat_dbt_utils.pivoted":      {status: StatusSuccess},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		// Columns line up by name whatever their order in each relation; one missing is a null of
		// the column's type, even when the first two relations both lack it.
		require.Equal(t, `"shop_a":1:10:o'pen,"shop_a":2:20:closed,"shop_b":3:-:closed,"shop_c":4:-:open`, scalar[string](t, db,
			`select string_agg(concat_ws(':', split_part(_dbt_source_relation, '.', 2), id, coalesce(amount::text, '-'), status), ',' order by id) from compat.all_shops`))
		require.Equal(t, "_dbt_source_relation,status,id,amount", scalar[string](t, db,
			`select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_schema = 'compat' and table_name = 'all_shops'`))
		require.Equal(t, "integer", scalar[string](t, db,
			`select data_type from information_schema.columns where table_schema = 'compat' and table_name = 'all_shops' and column_name = 'amount'`))
		// Every column excluded leaves none, as dbt_utils does, rather than all of them.
		require.Equal(t, 0, scalar[int](t, db,
			`select count(*) from information_schema.columns where table_schema = 'compat' and table_name = 'nothing_left'`))
		require.Equal(t, "1 1 1 1", scalar[string](t, db,
			`select concat_ws(' ', "o'pen", closed, n_open, n_closed) from compat.pivoted`))
	}})
}

func TestCompat_DbtCrossDatabaseNamespaceWithAndWithoutPrefix(t *testing.T) {
	t.Parallel()
	steps := []compatStep{{command: CmdBuild, status: StatusSuccess, want: map[string]compatWant{
		"seed.compat_dbt_namespace.events":      {status: StatusSuccess, rows: 3},
		"model.compat_dbt_namespace.scalars":    {status: StatusSuccess},
		"model.compat_dbt_namespace.aggregates": {status: StatusSuccess},
	}}}
	// What both databases answer alike.
	same := map[string]string{
		"t_int": "42", "t_bigint": "14", "t_string": "x", "bool_text": "true", "bool_text_not": "false",
		"diff_days": "30", "diff_months": "2", "diff_hours": "22",
		"hashed": "900150983cd24fb0d6963f7d28e17f72", "hashed_name": "0cc175b9c0f1b6a831c399e269772661",
		"concatenated": "aba", "concatenated_bare": "xy", "part_2": "b", "part_last": "c",
		"pos": "3", "pos_none": "0",
		"len": "4", "len_name": "1", "replaced": "axc", "replaced_bare": "A", "right_2": "ef", "right_3": "def",
		"esc_quote": "it's", "esc_quote_bare": "o'k", "literal": "l'it", "literal_bare": "lit",
		"now_is_recent": "yes", "now_is_recent_bare": "yes",
	}
	check := func(t *testing.T, got map[string]string, want map[string]string) {
		t.Helper()
		for k, v := range want {
			require.Containsf(t, got, k, "column %s", k)
			require.Equalf(t, v, got[k], "column %s", k)
		}
	}
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		runCompatOn(t, compatCase{dir: "dbt_namespace", steps: steps, checkIn: func(t *testing.T, db *sql.DB, schema string) {
			check(t, rowText(t, db, `select * from compat.scalars`), same)
			check(t, rowText(t, db, `select * from compat.scalars`), map[string]string{
				"end_of_month": "2024-02-29T00:00:00Z", "end_of_quarter": "2024-03-31T00:00:00Z",
				"t_numeric": "2.500000", "t_float": "2", "t_timestamp": "2024-01-31T10:20:30Z", "t_boolean": "true",
				"plus_3_days": "2024-02-03T10:20:30Z", "plus_1_month": "2024-02-29T00:00:00Z",
				"month_start": "2024-01-01T00:00:00Z", "day_start": "2024-01-31T00:00:00Z",
			})
			check(t, rowText(t, db, `select * from compat.aggregates`), map[string]string{
				"names": "a,b,c", "last_two": "c|b", "has_names": "true", "any_id": "true", "any_same": "same",
				"some_flag": "true", "some_big": "false",
			})
		}}, dialect.Postgres)
	})
	t.Run("mariadb", func(t *testing.T) {
		t.Parallel()
		runCompatOn(t, compatCase{dir: "dbt_namespace", steps: steps, checkIn: func(t *testing.T, db *sql.DB, schema string) {
			q := dialect.MySQL.Quote(schema)
			check(t, rowText(t, db, `select * from `+q+`.scalars`), same)
			check(t, rowText(t, db, `select * from `+q+`.scalars`), map[string]string{
				"end_of_month": "2024-02-29T00:00:00Z", "end_of_quarter": "2024-03-31T00:00:00Z",
				"t_numeric": "2.500000", "t_float": "2", "t_timestamp": "2024-01-31T10:20:30Z", "t_boolean": "1",
				"plus_3_days": "2024-02-03T10:20:30Z", "plus_1_month": "2024-02-29T00:00:00Z",
				"month_start": "2024-01-01T00:00:00Z", "day_start": "2024-01-31T00:00:00Z",
			})
			check(t, rowText(t, db, `select * from `+q+`.aggregates`), map[string]string{
				"names": "a,b,c", "last_two": "c|b", "has_names": "1", "any_id": "1", "any_same": "same",
				"some_flag": "1", "some_big": "0",
			})
		}}, dialect.MySQL)
	})
}

func TestCompat_DbtContextConfigExceptionsLogModulesAndRelations(t *testing.T) {
	t.Parallel()
	logs := &bytes.Buffer{}
	runCompat(t, compatCase{dir: "dbt_context", logs: logs, steps: []compatStep{
		{command: CmdRun, status: StatusError, want: map[string]compatWant{
			"model.compat_dbt_context.context_values": {status: StatusSuccess},
			"model.compat_dbt_context.view_by_mistake": {status: StatusError,
				message: "model view_by_mistake must be a table, not view"},
			"model.compat_dbt_context.needs_owner": {status: StatusError,
				message: "required config key 'owner' not found"},
		}},
	}, checkIn: func(t *testing.T, db *sql.DB, _ string) {
		got := rowText(t, db, `select * from compat.context_values`)
		require.Equal(t, map[string]string{
			"materialized": "table", "owner": "data-team", "missing": "fallback", "missing_kw": "kw_fallback",
			"required": "data-team", "logged": "", "executing": "True", "full_refresh": "False",
			"has_invocation_id": "true", "quoted": `"Mixed"`, "incorporated": "renamed", "same_schema": "True",
			"created": "some_schema.some_table", "re_group": "34", "re_sub": "d_t_n_k_", "re_findall": "1,2",
			"has_now": "true",
		}, got)
		require.Contains(t, logs.String(), "rendering context_values")
	}})
}

func TestCompat_IntrospectionGetRelationColumnsAndRunQuery(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "dbt_introspection", steps: []compatStep{
		{command: CmdBuild, status: StatusSuccess, want: map[string]compatWant{
			"seed.compat_dbt_introspection.statuses":    {status: StatusSuccess, rows: 3},
			"model.compat_dbt_introspection.probe":      {status: StatusSuccess},
			"model.compat_dbt_introspection.statements": {status: StatusSuccess},
		}},
	}, checkIn: func(t *testing.T, db *sql.DB, _ string) {
		require.Equal(t, map[string]string{
			"found_table": "True", "missing_is_none": "True", "cols": "id,status", "statuses": "closed,open",
			"n": "3", "n_closed": "1", "n_open": "2",
		}, rowText(t, db, `select * from compat.probe`))
		require.Equal(t, map[string]string{"open_ids": "1,3", "open_ids_again": "1,3", "unknown_is_none": "True"},
			rowText(t, db, `select * from compat.statements`))
	}})
}

func TestCompat_ModelAndSeedHooksRunAroundTheirNode(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "hooks", steps: []compatStep{
		{command: CmdBuild, status: StatusError, want: map[string]compatWant{
			"seed.compat_hooks.letters":  {status: StatusSuccess, rows: 2},
			"model.compat_hooks.counted": {status: StatusSuccess},
			"model.compat_hooks.session": {status: StatusSuccess},
			"model.compat_hooks.bad_hook": {status: StatusError,
				message: `post-hook: ERROR: relation "no_such_table" does not exist`},
			"model.compat_hooks.child_of_bad_hook": {status: StatusSkipped,
				message: "skipped because model.compat_hooks.bad_hook did not succeed"},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t, "config pre session|counted post 2|pre bad_hook|pre counted|pre session|seed post letters 2",
			scalar[string](t, db, `select string_agg(what, '|' order by what) from compat.audit`))
		require.Equal(t, "from pre-hook", scalar[string](t, db, `select marker from compat.session`))
	}})
}

func TestCompat_OnRunStartAndEndRunAroundTheCommand(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "on_run", steps: []compatStep{
		{command: CmdRun, status: StatusSuccess, want: map[string]compatWant{
			"operation.compat_on_run.compat_on_run-on-run-start-0": {status: StatusSuccess},
			"operation.compat_on_run.compat_on_run-on-run-start-1": {status: StatusSuccess},
			"operation.compat_on_run.compat_on_run-on-run-start-2": {status: StatusSuccess},
			"model.compat_on_run.reads_log":                        {status: StatusSuccess},
			"operation.compat_on_run.compat_on_run-on-run-end-0":   {status: StatusSuccess},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t, "end 1|start", scalar[string](t, db, `select string_agg(what, '|' order by what) from compat.run_log`))
		require.Equal(t, "start", scalar[string](t, db, `select what from compat.reads_log`))
	}})
}

func TestCompat_AFailingOnRunStartSkipsEveryNode(t *testing.T) {
	t.Parallel()
	op := "operation.compat_on_run_start_fails.compat_on_run_start_fails-"
	runCompat(t, compatCase{dir: "on_run_start_fails", steps: []compatStep{
		{command: CmdRun, status: StatusError, want: map[string]compatWant{
			op + "on-run-start-0": {status: StatusSuccess},
			op + "on-run-start-1": {status: StatusError,
				message: `dbt_project.yml: on-run-start hook 2 failed: ERROR: relation "no_such_preflight_table" does not exist`},
			op + "on-run-start-2": {status: StatusSkipped, message: "skipped because " + op + "on-run-start-1 did not succeed"},
			"model.compat_on_run_start_fails.never_built": {status: StatusSkipped,
				message: "skipped because " + op + "on-run-start-1 (on-run-start) did not succeed"},
			op + "on-run-end-0": {status: StatusSuccess},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t, 0, scalar[int](t, db, `select count(*) from information_schema.tables where table_name = 'never_built'`))
		require.Equal(t, 1, scalar[int](t, db, `select x from public.ended`))
	}})
}

func TestCompat_JinjaGrammarPackagesWriteGonjaDidNotRead(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "jinja_grammar", steps: []compatStep{
		{command: CmdBuild, status: StatusSuccess, want: map[string]compatWant{
			"seed.compat_jinja_grammar.people":   {status: StatusSuccess, rows: 3},
			"seed.compat_jinja_grammar.shouting": {status: StatusSuccess, rows: 1},
			"model.compat_jinja_grammar.grammar": {status: StatusSuccess},
			"model.compat_jinja_grammar.agate":   {status: StatusSuccess},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		row := db.QueryRow(`select kept, as_date::text, as_text, labelled, only_rome, in_oslo from compat.grammar`)
		var kept, asDate, asText, labelled string
		var onlyRome, inOslo int
		require.NoError(t, row.Scan(&kept, &asDate, &asText, &labelled, &onlyRome, &inOslo))
		require.Equal(t, "name", kept, "`x|lower not in xs|map('lower')` filters each side")
		require.Equal(t, "2024-01-02", asDate, "a conditional expression inside parentheses")
		require.Equal(t, "12", asText)
		require.Equal(t, "p/a/b", labelled, "*varargs and **kwargs reach the dispatched macro")
		require.Equal(t, 1, onlyRome, "dbt.except()")
		require.Equal(t, 2, inOslo, "intersect() without the prefix")

		row = db.QueryRow(`select names, ids, d::text, ts::text, shape, keyed_by_relation, db = current_database(), n_columns from compat.agate`)
		var names, ids, d, ts, shape, keyed string
		var sameDB bool
		var nColumns int
		require.NoError(t, row.Scan(&names, &ids, &d, &ts, &shape, &keyed, &sameDB, &nColumns))
		require.Equal(t, 3, nColumns, "relation.information_schema('columns')")
		require.Equal(t, "a", scalar[string](t, db, `select label from compat.shouting where id = 1`), "quote_columns: false folds the header")
		require.Equal(t, "ann:1,bob:2,cid:3", names, "an agate table iterates its rows; a row answers row.name and row['id']")
		require.Equal(t, "1,2,3", ids, "table.columns.items() and column.values()")
		require.Equal(t, "2017-01-02", d, "a date renders as Python's str(date)")
		require.Equal(t, "2017-01-02 03:04:05", ts, "a timestamp renders as Python's str(datetime)")
		require.Equal(t, "4 id|name|d|ts", shape)
		require.Equal(t, "grammar", keyed, "a relation keys a dict")
		require.True(t, sameDB, "target.database names the PostgreSQL database")
	}})
}

func TestCompat_PackagesOnRunHooksRunBeforeTheRootProjects(t *testing.T) {
	t.Parallel()
	runCompat(t, compatCase{dir: "package_hooks", steps: []compatStep{
		{command: CmdRun, status: StatusSuccess, want: map[string]compatWant{
			"operation.apkg.apkg-on-run-start-0":                                 {status: StatusSuccess},
			"operation.apkg.apkg-on-run-start-1":                                 {status: StatusSuccess},
			"operation.apkg.apkg-on-run-start-2":                                 {status: StatusSuccess},
			"operation.zpkg.zpkg-on-run-start-0":                                 {status: StatusSuccess},
			"operation.compat_package_hooks.compat_package_hooks-on-run-start-0": {status: StatusSuccess},
			"model.compat_package_hooks.one":                                     {status: StatusSuccess},
			"operation.zpkg.zpkg-on-run-end-0":                                   {status: StatusSuccess},
			"operation.compat_package_hooks.compat_package_hooks-on-run-end-0":   {status: StatusSuccess},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t, "apkg-start,zpkg-start,root-start,zpkg-end,root-end",
			scalar[string](t, db, `select string_agg(who, ',' order by n) from compat.hook_log`),
			"packages in name order, then the root project; a package's hook calls its own macro by its bare name")
	}})
}

func TestCompat_ModelVersionsRefTheLatestOrTheOneAskedFor(t *testing.T) {
	t.Parallel()
	const p = "compat_model_versions"
	runCompat(t, compatCase{dir: "model_versions", steps: []compatStep{
		{command: CmdBuild, status: StatusSuccess, want: map[string]compatWant{
			"model." + p + ".dim_customers.v1": {status: StatusSuccess},
			"model." + p + ".dim_customers.v2": {status: StatusSuccess},
			"model." + p + ".dim_customers.v3": {status: StatusSuccess},
			"model." + p + ".uses_latest":      {status: StatusSuccess},
			"model." + p + ".uses_versions":    {status: StatusSuccess},
			// Every version is tested under its own name, on its own relation: v2's labels
			// fail the entry's accepted_values (it read v1, the latest, they would pass), its
			// own column is_new exists only in v2, and it excludes id.
			"test." + p + ".not_null_dim_customers_v1_id.ccb11c9411":                       {status: StatusPass},
			"test." + p + ".unique_dim_customers_v1_id.f55d167630":                         {status: StatusPass},
			"test." + p + ".accepted_values_dim_customers_v1_label__one__three.097c250de5": {status: StatusPass},
			"test." + p + ".accepted_values_dim_customers_v2_label__one__three.1ccfc9f405": {status: StatusWarn, failures: 1},
			"test." + p + ".not_null_dim_customers_v2_is_new.c939556ed7":                   {status: StatusPass},
			"test." + p + ".not_null_dim_customers_v3_id.4e43c44196":                       {status: StatusPass},
			"test." + p + ".unique_dim_customers_v3_id.45f7d18552":                         {status: StatusPass},
			"test." + p + ".accepted_values_dim_customers_v3_label__one__three.06aa393a3c": {status: StatusPass},
		}},
		{command: CmdTest, sel: "dim_customers.v2", status: StatusSuccess, want: map[string]compatWant{
			"test." + p + ".accepted_values_dim_customers_v2_label__one__three.1ccfc9f405": {status: StatusWarn, failures: 1},
			"test." + p + ".not_null_dim_customers_v2_is_new.c939556ed7":                   {status: StatusPass},
		}},
	}, check: func(t *testing.T, db *sql.DB) {
		require.Equal(t, "one", scalar[string](t, db, `select label from compat.uses_latest`), "latest_version: 1")
		require.Equal(t, "two|three", scalar[string](t, db, `select v2 || '|' || v3 from compat.uses_versions`))
		require.Equal(t, "three", scalar[string](t, db, `select label from compat.customers_next`), "defined_in: keeps the file's relation")
		require.True(t, scalar[bool](t, db, `select is_new from compat.dim_customers_v2`))
	}})
}
