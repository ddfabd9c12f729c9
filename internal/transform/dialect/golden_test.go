package dialect

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/testutil"
)

// materializations renders every materialization of a dialect as one text, compared with
// testdata/golden/<dialect>.sql. Postgres and MySQL also run live in the engine's tests; for
// the others this golden file is the contract.
func materializations(t *testing.T, d *Dialect) string {
	t.Helper()
	var b strings.Builder
	section := func(name string, stmts ...string) {
		b.WriteString("-- " + name + "\n")
		for _, s := range stmts {
			b.WriteString(strings.TrimSuffix(s, ";") + ";\n")
		}
		b.WriteString("\n")
	}
	q := "select id, status from \"raw\".orders"
	section("view, first build", d.Replace(View, "analytics", "orders", q, Existing{}).Statements...)
	section("view over an existing view, leftovers present", d.Replace(View, "analytics", "orders", q, Existing{Target: View, Temp: View, Backup: Table}).Statements...)
	section("table over an existing view", d.Replace(Table, "analytics", "orders", q, Existing{Target: View}).Statements...)
	for _, strategy := range []string{Append, DeleteInsert, Merge} {
		p, err := d.IncrementalPlan(Incremental{Schema: "analytics", Name: "events", Staged: "events__dbt_tmp",
			Strategy: strategy, UniqueKey: []string{"id"}, Columns: []string{"id", "status", "odd \"name\""}})
		if err != nil {
			section("incremental " + strategy + ": " + err.Error())
			continue
		}
		section("incremental "+strategy, p.Statements...)
	}
	alter, cols, err := d.SchemaChange(SchemaSync, "analytics", "events",
		[]Column{{"id", d.SeedType("integer")}, {"added", d.SeedType("text")}},
		[]Column{{"id", d.SeedType("integer")}, {"removed", d.SeedType("text")}})
	require.NoError(t, err)
	section("on_schema_change sync_all_columns, inserting "+strings.Join(cols, ", "), alter...)
	if !d.SupportsSnapshots() {
		section("snapshots: not supported on " + d.Name)
	} else {
		s := Snapshot{Schema: "snapshots", Name: "orders_snapshot", Query: q, UniqueKey: "id", Strategy: Timestamp,
			UpdatedAt: "updated_at", Now: d.TimestampLiteral("2026-01-02 03:04:05.000000"), InvalidateHardDeletes: true}
		section("snapshot, first run (timestamp)", d.SnapshotCreate(s)...)
		section("snapshot, staging changes (timestamp)", d.SnapshotStaging(s, "orders_snapshot__dbt_tmp")...)
		s.Strategy, s.CheckCols = Check, []string{"status"}
		section("snapshot, staging changes (check)", d.SnapshotStaging(s, "orders_snapshot__dbt_tmp")...)
		section("snapshot, apply", d.SnapshotApply(s, "orders_snapshot__dbt_tmp", []string{"id", "status", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"}).Statements...)
	}
	section("seed", d.CreateSchema("analytics"), d.CreateTable("analytics", "raw_orders", []Column{{"id", d.SeedType("integer")}, {"order_date", d.SeedType("date")}, {"status", d.SeedType("text")}}),
		d.Truncate("analytics", "raw_orders"), d.InsertRows("analytics", "raw_orders", []string{"id", "order_date", "status"}, 2))
	section("test", d.TestCount("select * from t where x is null"), d.Limit("select * from t where x is null", 5))
	section("freshness", d.Freshness("raw", "orders", "_loaded_at"))
	return b.String()
}

func TestGolden_MaterializationSQLPerDialect(t *testing.T) {
	t.Parallel()
	for _, d := range []*Dialect{Postgres, MySQL, Snowflake, BigQuery, ClickHouse, MSSQL, Redshift} {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			got := materializations(t, d)
			testutil.Golden(t, "testdata/golden/"+d.Name+".sql", got)
		})
	}
}

func TestQuote_HostileIdentifiersCannotBreakOut(t *testing.T) {
	t.Parallel()
	require.Equal(t, `"a""; drop table x; --"`, Postgres.Quote(`a"; drop table x; --`))
	require.Equal(t, "`a``; drop`", MySQL.Quote("a`; drop"))
	require.Equal(t, "[a]]; drop]", MSSQL.Quote("a]; drop"))
	require.Equal(t, `"s"."t"`, Postgres.Relation("s", "t"))
}

func TestIncrementalPlan_MergeNeedsAUniqueKey(t *testing.T) {
	t.Parallel()
	_, err := Postgres.IncrementalPlan(Incremental{Schema: "s", Name: "t", Staged: "t__dbt_tmp", Strategy: Merge, Columns: []string{"id"}})
	require.ErrorContains(t, err, "needs a unique_key")
}

func TestSchemaChange_FailRefusesChangedColumns(t *testing.T) {
	t.Parallel()
	_, _, err := Postgres.SchemaChange(SchemaFail, "s", "t", []Column{{"id", "int"}, {"new", "text"}}, []Column{{"id", "int"}})
	require.ErrorContains(t, err, "added [new]")
	_, cols, err := Postgres.SchemaChange(SchemaIgnore, "s", "t", []Column{{"id", "int"}, {"new", "text"}}, []Column{{"id", "int"}})
	require.NoError(t, err)
	require.Equal(t, []string{"id"}, cols, "ignore inserts only the columns the target has")
}
