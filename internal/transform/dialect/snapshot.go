package dialect

import (
	"fmt"
	"strings"
)

// Snapshot strategies.
const (
	Timestamp = "timestamp"
	Check     = "check"
)

// SnapshotColumns are the columns dbt adds to a snapshot.
var SnapshotColumns = []string{"dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"}

// Snapshot describes an SCD2 snapshot: the source query, the unique key and how change is
// detected. UniqueKey and UpdatedAt are SQL expressions over the source's columns, as in dbt.
type Snapshot struct {
	Schema, Name string
	Query        string
	UniqueKey    string
	Strategy     string
	UpdatedAt    string
	// CheckCols are the columns compared by the check strategy.
	CheckCols []string
	// Now is the snapshot's timestamp literal (run_started_at), used by the check strategy
	// and to close hard-deleted rows.
	Now                   string
	InvalidateHardDeletes bool
}

func (s Snapshot) updatedAt() string {
	if s.Strategy == Check {
		return s.Now
	}
	return s.UpdatedAt
}

// sourceQuery is the query with dbt's columns added.
func (d *Dialect) snapshotSource(s Snapshot) string {
	u := s.updatedAt()
	return fmt.Sprintf("select dbt_snapshot_source.*,\n  %s as dbt_scd_id,\n  %s as dbt_updated_at,\n  %s as dbt_valid_from,\n  nullif(%s, %s) as dbt_valid_to\nfrom (\n%s\n) as dbt_snapshot_source",
		d.Hash(s.UniqueKey, u), u, u, u, u, s.Query)
}

// SnapshotCreate is the first run: every source row, valid from its updated_at.
func (d *Dialect) SnapshotCreate(s Snapshot) []string {
	return d.CreateAs(Table, s.Schema, s.Name, d.snapshotSource(s))
}

// SnapshotStaging builds the table of changes: new and changed rows to insert (with the scd id
// of the version they close) and, with invalidate_hard_deletes, rows gone from the source.
func (d *Dialect) SnapshotStaging(s Snapshot, staging string) []string {
	target := d.Relation(s.Schema, s.Name)
	var changed string
	if s.Strategy == Check {
		parts := make([]string, len(s.CheckCols))
		for i, c := range s.CheckCols {
			parts[i] = d.Distinct("dbt_current."+d.Quote(c), "dbt_new."+d.Quote(c))
		}
		changed = "(" + strings.Join(parts, " or ") + ")"
		if len(parts) == 0 {
			changed = "(1 = 0)"
		}
	} else {
		changed = "dbt_new.dbt_updated_at > dbt_current.dbt_updated_at"
	}
	q := fmt.Sprintf(`with dbt_current as (
  select dbt_snapshotted.*, %s as dbt_unique_key from %s as dbt_snapshotted where dbt_valid_to is null
),
dbt_new as (
  select dbt_source_rows.*, %s as dbt_unique_key from (
%s
  ) as dbt_source_rows
)
select 'insert' as dbt_change_type, dbt_current.dbt_scd_id as dbt_closes_scd_id, dbt_new.*
from dbt_new left join dbt_current on dbt_current.dbt_unique_key = dbt_new.dbt_unique_key
where dbt_current.dbt_unique_key is null or %s`,
		s.UniqueKey, target, s.UniqueKey, d.snapshotSource(s), changed)
	if s.InvalidateHardDeletes {
		q += `
union all
select 'delete' as dbt_change_type, dbt_current.dbt_scd_id as dbt_closes_scd_id, dbt_new.*
from dbt_current left join dbt_new on dbt_current.dbt_unique_key = dbt_new.dbt_unique_key
where dbt_new.dbt_unique_key is null`
	}
	return d.CreateAs(Table, s.Schema, staging, q)
}

// SnapshotApply closes the versions that changed or vanished and inserts the new ones; columns
// are the snapshot table's columns.
func (d *Dialect) SnapshotApply(s Snapshot, staging string, columns []string) Plan {
	target := d.Relation(s.Schema, s.Name)
	stg := d.Relation(s.Schema, staging)
	cols := strings.Join(d.Quoted(columns), ", ")
	closeChanged := fmt.Sprintf(`update %s set dbt_valid_to = (
  select dbt_changes.dbt_valid_from from %s as dbt_changes
  where dbt_changes.dbt_closes_scd_id = %s.dbt_scd_id and dbt_changes.dbt_change_type = 'insert'
)
where dbt_valid_to is null and dbt_scd_id in (
  select dbt_closes_scd_id from %s where dbt_change_type = 'insert' and dbt_closes_scd_id is not null
)`, target, stg, target, stg)
	stmts := []string{closeChanged}
	if s.InvalidateHardDeletes {
		stmts = append(stmts, fmt.Sprintf(`update %s set dbt_valid_to = %s
where dbt_valid_to is null and dbt_scd_id in (select dbt_closes_scd_id from %s where dbt_change_type = 'delete')`,
			target, s.Now, stg))
	}
	stmts = append(stmts, fmt.Sprintf("insert into %s (%s)\nselect %s from %s where dbt_change_type = 'insert'", target, cols, cols, stg))
	return Plan{Statements: stmts, InTx: true}
}
