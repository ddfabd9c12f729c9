package history

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// Window counts the runs created in a recent period.
type Window struct {
	ByStatus map[string]int64
	Total    int64
	// SuccessRate is success / (success + failed); nil when neither happened.
	SuccessRate *float64
}

// newWindow lists every status, at zero until counted, so that charts need no special case.
func newWindow() Window {
	w := Window{ByStatus: map[string]int64{}}
	for _, s := range []string{"queued", "running", "success", "failed", "cancelled", "skipped"} {
		w.ByStatus[s] = 0
	}
	return w
}

func (w *Window) add(status string, n int64) {
	w.ByStatus[status] += n
	w.Total += n
}

func (w *Window) rate() {
	ok, failed := w.ByStatus["success"], w.ByStatus["failed"]
	if ok+failed > 0 {
		r := float64(ok) / float64(ok+failed)
		w.SuccessRate = &r
	}
}

// Dashboard is an org's overview.
type Dashboard struct {
	Counts dbgen.DashboardCountsRow
	// Last24h and Last7d count runs by the time they were created.
	Last24h, Last7d Window
	// Days are the last 14 UTC days, oldest first, zero-filled.
	Days []dbgen.DashboardDaysRow
	// Failing are the live pipelines whose newest ended run failed, with that run.
	Failing []dbgen.DashboardFailingPipelinesRow
	// FailingNodes are the live pipelines, transformations and jobs whose newest ended run failed.
	FailingNodes []dbgen.DashboardFailingNodesRow
}

// Dashboard reads the org's overview in one transaction (four queries).
func (s *Service) Dashboard(ctx context.Context, p auth.Principal) (Dashboard, error) {
	out := Dashboard{Last24h: newWindow(), Last7d: newWindow()}
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		if out.Counts, err = q.DashboardCounts(ctx, p.OrgID); err != nil {
			return err
		}
		byStatus, err := q.DashboardRunsByStatus(ctx, p.OrgID)
		if err != nil {
			return err
		}
		for _, r := range byStatus {
			out.Last24h.add(r.Status, r.Last24h)
			out.Last7d.add(r.Status, r.Last7d)
		}
		out.Last24h.rate()
		out.Last7d.rate()
		if out.Days, err = q.DashboardDays(ctx, p.OrgID); err != nil {
			return err
		}
		if out.Failing, err = q.DashboardFailingPipelines(ctx, p.OrgID); err != nil {
			return err
		}
		out.FailingNodes, err = q.DashboardFailingNodes(ctx, p.OrgID)
		return err
	})
	return out, err
}
