package transform

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform/dialect"
)

// writeProject writes files (path → text) as a project directory.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, text := range files {
		full := filepath.Join(dir, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o750))
		require.NoError(t, os.WriteFile(full, []byte(text), 0o600))
	}
	return dir
}

func setFile(t *testing.T, dir, p, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, p), []byte(text), 0o600))
}

type liveTarget struct {
	name string
	d    *dialect.Dialect
	open func(t *testing.T) (*sql.DB, string)
}

func liveTargets() []liveTarget {
	return []liveTarget{
		{name: "postgres", d: dialect.Postgres, open: func(t *testing.T) (*sql.DB, string) { return postgresTarget(t), "analytics" }},
		{name: "mariadb", d: dialect.MySQL, open: mysqlTarget},
	}
}

func count(t *testing.T, db *sql.DB, d *dialect.Dialect, schema, table, where string) int {
	t.Helper()
	q := "select count(*) from " + d.Relation(schema, table)
	if where != "" {
		q += " where " + where
	}
	return scalar[int](t, db, q)
}

func TestIncremental_StrategiesAndSchemaChanges(t *testing.T) {
	t.Parallel()
	for _, lt := range liveTargets() {
		t.Run(lt.name, func(t *testing.T) {
			t.Parallel()
			db, schema := lt.open(t)
			model := func(strategy, onChange, extra string) string {
				return "{{ config(materialized='incremental', unique_key='id', incremental_strategy='" + strategy + "', on_schema_change='" + onChange + "') }}\n" +
					"select id, status" + extra + " from {{ ref('src') }}\n{% if is_incremental() %}where id >= 2{% endif %}\n"
			}
			dir := writeProject(t, map[string]string{
				"dbt_project.yml":    "name: inc\n",
				"seeds/src.csv":      "id,status\n1,a\n2,b\n",
				"models/merged.sql":  model("merge", "append_new_columns", ""),
				"models/deleted.sql": model("delete+insert", "sync_all_columns", ""),
				"models/appended.sql": "{{ config(materialized='incremental', on_schema_change='fail') }}\nselect id, status from {{ ref('src') }}\n" +
					"{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n",
			})
			requireAllOK(t, runDir(t, db, lt.d, schema, dir, CmdBuild, ""))

			setFile(t, dir, "seeds/src.csv", "id,status,note\n1,a,x\n2,B,y\n3,c,z\n")
			setFile(t, dir, "models/merged.sql", model("merge", "append_new_columns", ", note"))
			setFile(t, dir, "models/deleted.sql", model("delete+insert", "sync_all_columns", ", note"))
			s := runDir(t, db, lt.d, schema, dir, CmdBuild, "", func(o *Options) { o.FullRefresh = false })
			res := byID(s)
			requireAllOK(t, s)
			for _, m := range []string{"merged", "deleted", "appended"} {
				require.Equal(t, "incremental", res["model.inc."+m].Message, m)
				require.Equal(t, 3, count(t, db, lt.d, schema, m, ""), m)
			}
			require.Equal(t, 1, count(t, db, lt.d, schema, "merged", "id = 2 and status = 'B' and note = 'y'"), "merge updates the matched row and adds the new column")
			require.Equal(t, 1, count(t, db, lt.d, schema, "merged", "id = 1 and note is null"), "rows outside the increment keep null in the new column")
			require.Equal(t, 1, count(t, db, lt.d, schema, "deleted", "id = 2 and status = 'B'"))

			// on_schema_change=fail stops a model whose columns changed.
			setFile(t, dir, "models/appended.sql", "{{ config(materialized='incremental', on_schema_change='fail') }}\nselect id, status, note from {{ ref('src') }}\n")
			s = runDir(t, db, lt.d, schema, dir, CmdRun, "appended")
			require.Equal(t, StatusError, s.Nodes[0].Status)
			require.Contains(t, s.Nodes[0].Message, "on_schema_change is fail")

			// --full-refresh rebuilds it.
			s = runDir(t, db, lt.d, schema, dir, CmdRun, "appended", func(o *Options) { o.FullRefresh = true })
			requireAllOK(t, s)
			require.Equal(t, "created table (full build)", s.Nodes[0].Message)
		})
	}
}

func TestSeed_ReloadKeepsDependentViewsFullRefreshRecreates(t *testing.T) {
	t.Parallel()
	for _, lt := range liveTargets() {
		t.Run(lt.name, func(t *testing.T) {
			t.Parallel()
			db, schema := lt.open(t)
			dir := writeProject(t, map[string]string{
				"dbt_project.yml":  "name: sd\nseeds:\n  sd:\n    typed:\n      +column_types:\n        code: varchar(10)\n",
				"seeds/typed.csv":  "id,code,amount,ok,day,at\n1,007,1.5,true,2024-01-02,2024-01-02 03:04:05\n2,,2,false,,\n",
				"models/on_it.sql": "select * from {{ ref('typed') }}",
			})
			requireAllOK(t, runDir(t, db, lt.d, schema, dir, CmdBuild, ""))
			require.Equal(t, "007", scalar[string](t, db, "select code from "+lt.d.Relation(schema, "typed")+" where id = 1"), "column_types keeps leading zeros")
			require.Equal(t, 1, count(t, db, lt.d, schema, "typed", "code is null"), "empty cells are null")
			require.InDelta(t, 3.5, scalar[float64](t, db, "select sum(amount) from "+lt.d.Relation(schema, "typed")), 0.0001)

			setFile(t, dir, "seeds/typed.csv", "id,code,amount,ok,day,at\n5,x,1,true,2024-01-02,2024-01-02 03:04:05\n")
			s := runDir(t, db, lt.d, schema, dir, CmdSeed, "")
			requireAllOK(t, s)
			require.Equal(t, "reloaded in place", s.Nodes[0].Message)
			require.Equal(t, 1, count(t, db, lt.d, schema, "on_it", "id = 5"), "the view on the seed survives the reload")

			s = runDir(t, db, lt.d, schema, dir, CmdSeed, "", func(o *Options) { o.FullRefresh = true })
			requireAllOK(t, s)
			require.Equal(t, "created", s.Nodes[0].Message)
		})
	}
}

func TestRun_ChildrenOfAFailureAreSkipped(t *testing.T) {
	t.Parallel()
	db := postgresTarget(t)
	dir := writeProject(t, map[string]string{
		"dbt_project.yml":   "name: f\n",
		"models/ok.sql":     "select 1 as id",
		"models/broken.sql": "select * from nowhere_at_all",
		"models/child.sql":  "select * from {{ ref('broken') }}",
		"models/grand.sql":  "select * from {{ ref('child') }} union all select * from {{ ref('ok') }}",
	})
	s := runDir(t, db, dialect.Postgres, "analytics", dir, CmdRun, "")
	res := byID(s)
	require.Equal(t, StatusError, s.Status)
	require.Equal(t, StatusSuccess, res["model.f.ok"].Status)
	require.Equal(t, StatusError, res["model.f.broken"].Status)
	require.Contains(t, res["model.f.broken"].Message, "nowhere_at_all")
	require.Equal(t, StatusSkipped, res["model.f.child"].Status)
	require.Equal(t, StatusSkipped, res["model.f.grand"].Status)
}

func TestBuild_FailingTestSkipsDownstreamWarnDoesNot(t *testing.T) {
	t.Parallel()
	db := postgresTarget(t)
	dir := writeProject(t, map[string]string{
		"dbt_project.yml":    "name: b\n",
		"models/a.sql":       "select 1 as id union all select 1",
		"models/after.sql":   "select * from {{ ref('a') }}",
		"models/w.sql":       "select null as id",
		"models/after_w.sql": "select * from {{ ref('w') }}",
		"models/schema.yml": "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tests: [unique]\n" +
			"  - name: w\n    columns:\n      - name: id\n        tests:\n          - not_null:\n              config:\n                severity: warn\n",
	})
	s := runDir(t, db, dialect.Postgres, "analytics", dir, CmdBuild, "")
	res := byID(s)
	require.Equal(t, StatusFail, res["test.b.unique_a_id.f6a5f640da"].Status)
	require.Equal(t, int64(1), res["test.b.unique_a_id.f6a5f640da"].Failures)
	require.Len(t, res["test.b.unique_a_id.f6a5f640da"].Sample, 1)
	require.Equal(t, StatusSkipped, res["model.b.after"].Status)
	require.Equal(t, StatusWarn, res["test.b.not_null_w_id.e0e7a2eae7"].Status)
	require.Equal(t, StatusSuccess, res["model.b.after_w"].Status)
}

func TestSnapshot_TimestampStrategyKeepsHistory(t *testing.T) {
	t.Parallel()
	for _, lt := range liveTargets() {
		t.Run(lt.name, func(t *testing.T) {
			t.Parallel()
			db, schema := lt.open(t)
			snap := "{% snapshot snap %}{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at', invalidate_hard_deletes=True) }}select * from {{ ref('src') }}{% endsnapshot %}"
			dir := writeProject(t, map[string]string{
				"dbt_project.yml":    "name: sn\n",
				"seeds/src.csv":      "id,v,updated_at\n1,a,2024-01-01 00:00:00\n2,b,2024-01-01 00:00:00\n3,c,2024-01-01 00:00:00\n",
				"snapshots/snap.sql": snap,
			})
			requireAllOK(t, runDir(t, db, lt.d, schema, dir, CmdBuild, ""))
			setFile(t, dir, "seeds/src.csv", "id,v,updated_at\n1,a,2024-01-01 00:00:00\n2,B,2024-02-01 00:00:00\n4,d,2024-02-01 00:00:00\n")
			requireAllOK(t, runDir(t, db, lt.d, schema, dir, CmdBuild, ""))
			require.Equal(t, 5, count(t, db, lt.d, schema, "snap", ""))
			require.Equal(t, 1, count(t, db, lt.d, schema, "snap", "id = 2 and v = 'b' and dbt_valid_to = dbt_valid_from + interval '31' day"), "the old version closes at the new updated_at")
			require.Equal(t, 1, count(t, db, lt.d, schema, "snap", "id = 3 and dbt_valid_to is not null"), "a hard delete closes the row")
			require.Equal(t, 3, count(t, db, lt.d, schema, "snap", "dbt_valid_to is null"))
			require.Equal(t, 5, scalar[int](t, db, "select count(distinct dbt_scd_id) from "+lt.d.Relation(schema, "snap")))
			// Nothing changed: a third run adds nothing.
			requireAllOK(t, runDir(t, db, lt.d, schema, dir, CmdSnapshot, ""))
			require.Equal(t, 5, count(t, db, lt.d, schema, "snap", ""))
		})
	}
}

func TestView_ReplacesATableAndStaysReadable(t *testing.T) {
	t.Parallel()
	db := postgresTarget(t)
	dir := writeProject(t, map[string]string{
		"dbt_project.yml": "name: v\n",
		"models/m.sql":    "{{ config(materialized='table') }}select 1 as id",
	})
	requireAllOK(t, runDir(t, db, dialect.Postgres, "analytics", dir, CmdRun, ""))
	setFile(t, dir, "models/m.sql", "{{ config(materialized='view') }}select 2 as id")
	requireAllOK(t, runDir(t, db, dialect.Postgres, "analytics", dir, CmdRun, ""))
	require.Equal(t, "VIEW", scalar[string](t, db, "select table_type from information_schema.tables where table_schema = 'analytics' and table_name = 'm'"))
	require.Equal(t, 2, scalar[int](t, db, `select id from "analytics"."m"`))
	require.Equal(t, 0, scalar[int](t, db, "select count(*) from information_schema.tables where table_name like 'm__dbt%'"), "no temporary or backup relation is left")
}

func TestFreshness_WarnAndErrorThresholds(t *testing.T) {
	t.Parallel()
	db := postgresTarget(t)
	_, err := db.ExecContext(context.Background(), `create schema raw;
create table raw.fresh (loaded_at timestamp); insert into raw.fresh values (localtimestamp - interval '10 minutes');
create table raw.stale (loaded_at timestamp); insert into raw.stale values (localtimestamp - interval '3 hours');
create table raw.dead (loaded_at timestamp); insert into raw.dead values (localtimestamp - interval '3 days')`)
	require.NoError(t, err)
	dir := writeProject(t, map[string]string{
		"dbt_project.yml": "name: fr\n",
		"models/sources.yml": "version: 2\nsources:\n  - name: raw\n    loaded_at_field: loaded_at\n    freshness:\n      warn_after: {count: 1, period: hour}\n      error_after: {count: 1, period: day}\n" +
			"    tables:\n      - name: fresh\n      - name: stale\n      - name: dead\n",
	})
	s := runDir(t, db, dialect.Postgres, "analytics", dir, CmdFreshness, "")
	res := byID(s)
	require.Equal(t, StatusPass, res["source.fr.raw.fresh"].Status)
	require.Equal(t, StatusWarn, res["source.fr.raw.stale"].Status)
	require.Equal(t, StatusError, res["source.fr.raw.dead"].Status)
	require.Equal(t, StatusError, s.Status)
}

func TestHostileNames_AreQuotedOnLiveDatabases(t *testing.T) {
	t.Parallel()
	for _, lt := range liveTargets() {
		t.Run(lt.name, func(t *testing.T) {
			t.Parallel()
			db, schema := lt.open(t)
			alias := "we\"ird`; name"
			dir := writeProject(t, map[string]string{
				"dbt_project.yml":   "name: h\n",
				"seeds/raw.csv":     "select,from\n1,2\n",
				"models/odd.sql":    "{{ config(materialized='table', alias='" + strings.ReplaceAll(alias, `"`, `\"`) + "') }}select {{ adapter.quote('select') }} as {{ adapter.quote('group by') }} from {{ ref('raw') }}",
				"models/on_odd.sql": "select * from {{ ref('odd') }}",
				"models/schema.yml": "version: 2\nmodels:\n  - name: odd\n    columns:\n      - name: '\"group by\"'\n        tests: [not_null]\n",
			})
			requireAllOK(t, runDir(t, db, lt.d, schema, dir, CmdBuild, ""))
			require.Equal(t, 1, count(t, db, lt.d, schema, alias, lt.d.Quote("group by")+" = 1"))
			requireAllOK(t, runDir(t, db, lt.d, schema, dir, CmdBuild, ""))
		})
	}
}

func TestCustomSchema_NamedTargetUnderscoreCustomAndRefsFollow(t *testing.T) {
	t.Parallel()
	for _, lt := range liveTargets() {
		t.Run(lt.name, func(t *testing.T) {
			t.Parallel()
			db, schema := lt.open(t)
			dir := writeProject(t, map[string]string{
				"dbt_project.yml":      "name: cs\nmodels:\n  cs:\n    marts:\n      +schema: marts\n      +materialized: table\n",
				"models/base.sql":      "select 1 as id",
				"models/marts/top.sql": "select * from {{ ref('base') }}",
				"models/marts/b.sql":   "select * from {{ ref('top') }}",
			})
			requireAllOK(t, runDir(t, db, lt.d, schema, dir, CmdRun, ""))
			require.Equal(t, 1, count(t, db, lt.d, schema+"_marts", "b", ""))
			require.Equal(t, 1, count(t, db, lt.d, schema, "base", ""))
		})
	}
}

func TestHooks_RunBeforeAndAfterTheModel(t *testing.T) {
	t.Parallel()
	db := postgresTarget(t)
	_, err := db.ExecContext(context.Background(), "create table public.audit (what text)")
	require.NoError(t, err)
	dir := writeProject(t, map[string]string{
		"dbt_project.yml": "name: hk\nmodels:\n  hk:\n    +post-hook: \"insert into public.audit values ('project {{ this.name }}')\"\n",
		"models/m.sql":    "{{ config(materialized='table', pre_hook=\"insert into public.audit values ('pre')\") }}select 1 as id",
	})
	requireAllOK(t, runDir(t, db, dialect.Postgres, "analytics", dir, CmdRun, ""))
	require.Equal(t, 1, scalar[int](t, db, "select count(*) from public.audit where what = 'pre'"))
	require.Equal(t, 1, scalar[int](t, db, "select count(*) from public.audit where what = 'project m'"))
}
