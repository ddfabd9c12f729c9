package transform

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform/dialect"
	"github.com/datanika/datanika/internal/transform/project"
)

func compileID(t *testing.T, e *Engine, id string) string {
	t.Helper()
	out, err := e.CompileNode(context.Background(), id, nil)
	require.NoError(t, err)
	return out
}

func TestCompile_JaffleOrdersPivotsAndInlinesEphemeral(t *testing.T) {
	t.Parallel()
	e := newEngine(t, os.DirFS(jaffleDir(t, false)), dialect.Postgres)
	sql := compileID(t, e, "model.jaffle_shop.orders")
	require.True(t, strings.HasPrefix(sql, "with __dbt__cte__order_payments as (\n"), sql)
	require.Contains(t, sql, `sum(case when payment_method = 'gift_card' then amount else 0 end) as gift_card_amount,`)
	require.Contains(t, sql, `coalesce(order_payments.bank_transfer_amount, 0) as bank_transfer_amount,`)
	require.Contains(t, sql, `select * from __dbt__cte__order_payments`)
	require.Contains(t, sql, `from "analytics"."stg_payments"`)
	require.NotContains(t, sql, "{{")
}

func TestCompile_ConfigPrecedenceAndSchemas(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml":        {Data: []byte("name: p\nmodels:\n  p:\n    +materialized: table\n    marts:\n      +schema: marts\n      +tags: [nightly]\n      +materialized: view\n")},
		"models/marts/a.sql":     {Data: []byte("select 1 as id")},
		"models/marts/b.sql":     {Data: []byte("{{ config(materialized='incremental', tags=['hourly']) }}select * from {{ ref('a') }}")},
		"models/marts/c.sql":     {Data: []byte("select 1 as x")},
		"models/top.sql":         {Data: []byte("select 1 as y")},
		"models/marts/props.yml": {Data: []byte("version: 2\nmodels:\n  - name: c\n    config:\n      materialized: ephemeral\n  - name: b\n    config:\n      materialized: table\n")},
	}
	e := newEngine(t, fsys, dialect.Postgres)
	a, b, c, top := e.nodes["model.p.a"], e.nodes["model.p.b"], e.nodes["model.p.c"], e.nodes["model.p.top"]
	require.Equal(t, "view", a.config.Materialized(), "the deeper folder wins over the project level")
	require.Equal(t, "incremental", b.config.Materialized(), "config() wins over schema.yml")
	require.Equal(t, "ephemeral", c.config.Materialized(), "schema.yml wins over dbt_project.yml")
	require.Equal(t, "table", top.config.Materialized())
	require.ElementsMatch(t, []string{"nightly", "hourly"}, b.config.Strings("tags"), "tags accumulate")
	require.Equal(t, "analytics_marts", a.schema, "custom schemas are <target>_<custom> by default")
	require.Equal(t, "analytics", top.schema)
}

func TestCompile_ProjectGenerateSchemaNameOverridesTheDefault(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: p\nmodels:\n  p:\n    +schema: marts\n")},
		"models/a.sql":    {Data: []byte("select 1")},
		"macros/gsn.sql":  {Data: []byte("{% macro generate_schema_name(custom_schema_name, node) -%}{%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}{%- endmacro %}")},
	}
	e := newEngine(t, fsys, dialect.Postgres)
	require.Equal(t, "marts", e.nodes["model.p.a"].schema)
}

func TestCompile_UnknownRefNamesTheFileAndTheRef(t *testing.T) {
	t.Parallel()
	p, err := project.Load(fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: p\n")},
		"models/a.sql":    {Data: []byte("select * from {{ ref('nope') }}")},
		"models/b.sql":    {Data: []byte("select 1")},
	})
	require.NoError(t, err)
	e, err := New(context.Background(), p, Options{Dialect: dialect.Postgres, TargetSchema: "s"})
	require.NoError(t, err, "one broken model fails alone, when it runs")
	_, err = e.CompileNode(context.Background(), "model.p.b", nil)
	require.NoError(t, err)
	_, err = e.CompileNode(context.Background(), "model.p.a", nil)
	require.ErrorContains(t, err, "models/a.sql")
	require.ErrorContains(t, err, "ref('nope')")
}

func TestCompile_CycleIsRejectedWithItsPath(t *testing.T) {
	t.Parallel()
	p, err := project.Load(fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: p\n")},
		"models/a.sql":    {Data: []byte("select * from {{ ref('c') }}")},
		"models/b.sql":    {Data: []byte("select * from {{ ref('a') }}")},
		"models/c.sql":    {Data: []byte("select * from {{ ref('b') }}")},
	})
	require.NoError(t, err)
	_, err = New(context.Background(), p, Options{Dialect: dialect.Postgres, TargetSchema: "s"})
	require.ErrorContains(t, err, "dependency cycle: model.p.a -> model.p.c -> model.p.b -> model.p.a")
}

func TestCompile_TemplateErrorPointsAtFileLineColumn(t *testing.T) {
	t.Parallel()
	p, err := project.Load(fstest.MapFS{
		"dbt_project.yml":    {Data: []byte("name: p\n")},
		"models/sub/bad.sql": {Data: []byte("select 1\n-- fine\nfrom x {% if %}\n")},
	})
	require.NoError(t, err)
	e, err := New(context.Background(), p, Options{Dialect: dialect.Postgres, TargetSchema: "s"})
	require.NoError(t, err, "one broken model fails alone, when it runs")
	_, err = e.CompileNode(context.Background(), "model.p.bad", nil)
	require.ErrorContains(t, err, "models/sub/bad.sql:3:8")
}

func TestCompile_VarsEnvVarsTargetAndThis(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: p\nvars:\n  limit: 5\n")},
		"models/a.sql":    {Data: []byte("select {{ var('limit') }}, {{ var('x', 'dflt') }}, '{{ env_var('ORG_SECRET', 'none') }}', '{{ env_var('HOME', 'no-home') }}', '{{ target.name }}/{{ target.type }}', '{{ this }}', '{{ this.schema }}'")},
	}
	e := newEngine(t, fsys, dialect.Postgres, func(o *Options) {
		o.Vars = map[string]any{"limit": 7}
		o.EnvVars = map[string]string{"ORG_SECRET": "s3"}
	})
	sql := compileID(t, e, "model.p.a")
	require.Equal(t, `select 7, dflt, 's3', 'no-home', 'dev/postgres', '"analytics"."a"', 'analytics'`, sql)
}

func TestCompile_RunStartedAtAndIsIncrementalWithoutADatabase(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: p\n")},
		"models/a.sql":    {Data: []byte("{{ config(materialized='incremental') }}select '{{ run_started_at }}', '{{ run_started_at.strftime('%Y%m%d') }}'{% if is_incremental() %} where false{% endif %}")},
	}
	e := newEngine(t, fsys, dialect.Postgres, func(o *Options) { o.RunStartedAt = time.Date(2024, 3, 5, 6, 7, 8, 9000, time.UTC) })
	require.Equal(t, "select '2024-03-05 06:07:08.000009+00:00', '20240305'", compileID(t, e, "model.p.a"))
}

func TestCompile_HostileNamesAreQuoted(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: p\n")},
		"models/a.sql":    {Data: []byte("{{ config(alias='we\"ird; drop table x') }}select 1")},
		"models/b.sql":    {Data: []byte("select * from {{ ref('a') }}")},
	}
	pg := newEngine(t, fsys, dialect.Postgres)
	require.Equal(t, `select * from "analytics"."we""ird; drop table x"`, compileID(t, pg, "model.p.b"))
	my := newEngine(t, fsys, dialect.MySQL)
	require.Equal(t, "select * from `analytics`.`we\"ird; drop table x`", compileID(t, my, "model.p.b"))
}

func TestCompile_GenericTestsBecomeFailingRowQueries(t *testing.T) {
	t.Parallel()
	e := newEngine(t, os.DirFS(jaffleDir(t, false)), dialect.Postgres)
	rel := compileID(t, e, "test.jaffle_shop.relationships_orders_customer_id__customer_id__ref_customers_.c6ec7f58f2")
	require.Contains(t, rel, `from "analytics"."orders"`)
	require.Contains(t, rel, `from "analytics"."customers"`)
	require.Contains(t, rel, "where parent.to_field is null")
	av := compileID(t, e, findTest(t, e, "test.jaffle_shop.accepted_values_stg_orders_status__placed"))
	require.Contains(t, av, "where value_field not in ('placed', 'shipped', 'completed', 'return_pending', 'returned')")
	rng := compileID(t, e, "test.jaffle_shop.dbt_utils_accepted_range_customers_customer_lifetime_value__0.f65ec0729a")
	require.Contains(t, rng, "or not (customer_lifetime_value >= 0)")
}

// findTest finds the one test whose id starts with prefix (long names end in a hash, as in dbt).
func findTest(t *testing.T, e *Engine, prefix string) string {
	t.Helper()
	var found []string
	for id := range e.nodes {
		if strings.HasPrefix(id, prefix) {
			found = append(found, id)
		}
	}
	require.Len(t, found, 1, "tests starting with %s", prefix)
	return found[0]
}

func TestCompile_TestWhereConfigFiltersTheModel(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: p\n")},
		"models/a.sql":    {Data: []byte("select 1 as id")},
		"models/a.yml":    {Data: []byte("version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tests:\n          - not_null:\n              config:\n                where: \"id > 1\"\n                severity: warn\n")},
	}
	e := newEngine(t, fsys, dialect.Postgres)
	id := "test.p.not_null_a_id.c1cebc1440"
	require.Equal(t, "warn", e.nodes[id].config.String("severity"))
	sql := compileID(t, e, id)
	require.Contains(t, sql, `from (select * from "analytics"."a" where id > 1) dbt_subquery`)
}

func TestCompile_EphemeralMergesWithACommentedWithAndDropsSemicolons(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: p\n")},
		"models/eph.sql":  {Data: []byte("{{ config(materialized='ephemeral') }}select 1 as id;\n")},
		"models/m.sql":    {Data: []byte("-- leading comment\n/* block */\nwith x as (select * from {{ ref('eph') }})\nselect * from x;  \n")},
	}
	e := newEngine(t, fsys, dialect.Postgres)
	require.Equal(t, "with __dbt__cte__eph as (\nselect 1 as id\n),\nx as (select * from __dbt__cte__eph)\nselect * from x", compileID(t, e, "model.p.m"))
}

func TestSelect_OnTheJaffleProject(t *testing.T) {
	t.Parallel()
	e := newEngine(t, os.DirFS(jaffleDir(t, false)), dialect.Postgres)
	models := func(sel, exclude string) []string {
		chosen, err := e.Graph().Select(sel, exclude)
		require.NoError(t, err)
		var out []string
		for id := range chosen {
			if strings.HasPrefix(id, "model.") {
				out = append(out, strings.TrimPrefix(id, "model.jaffle_shop."))
			}
		}
		return out
	}
	require.ElementsMatch(t, []string{"stg_customers", "stg_orders", "stg_payments"}, models("tag:staging", ""))
	require.ElementsMatch(t, []string{"orders", "order_payments", "stg_orders", "stg_payments"}, models("+orders", ""))
	require.ElementsMatch(t, []string{"customers", "orders", "payments_incremental"}, models("config.materialized:table config.materialized:incremental", ""))
	require.ElementsMatch(t, []string{"stg_payments", "order_payments", "orders", "customers", "payments_incremental"}, models("stg_payments+", ""))
	require.ElementsMatch(t, []string{"order_payments", "orders"}, models("stg_payments+", "customers tag:incremental stg_payments"))

	// A test is selected by the name dbt gives it (dbt test -s <name>), a long one by its
	// full name, not by its hashed alias.
	tests := func(sel string) []string {
		chosen, err := e.Graph().Select(sel, "")
		require.NoError(t, err)
		var out []string
		for id := range chosen {
			if strings.HasPrefix(id, "test.") {
				out = append(out, id)
			}
		}
		return out
	}
	require.Equal(t, []string{"test.jaffle_shop.unique_orders_order_id.fed79b3a6e"}, tests("unique_orders_order_id"))
	long := "dbt_utils_expression_is_true_orders_amount_credit_card_amount_coupon_amount_bank_transfer_amount_gift_card_amount"
	require.Equal(t, []string{"test.jaffle_shop." + long + ".8784e4d04e"}, tests(long))
	require.Empty(t, tests("dbt_utils_expression_is_true_o_3440a4c953e866bb2753dc8b2178010b"))
}

func TestCompile_SourceSchemaMayUseJinja(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: p\nvars:\n  raw: landing\n")},
		"models/src.yml":  {Data: []byte("version: 2\nsources:\n  - name: app\n    schema: \"{{ var('raw') }}_{{ target.name }}\"\n    tables:\n      - name: users\n")},
		"models/a.sql":    {Data: []byte("select * from {{ source('app', 'users') }}")},
	}
	e := newEngine(t, fsys, dialect.Postgres)
	require.Equal(t, `select * from "landing_dev"."users"`, compileID(t, e, "model.p.a"))
}
