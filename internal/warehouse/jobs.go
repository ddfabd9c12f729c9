package warehouse

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
)

// ProvisionArgs is the job that makes an org's managed warehouse, enqueued in the transaction
// that creates the org, so every org gets one exactly once (and retries until the server lets it).
type ProvisionArgs struct {
	OrgID int64 `json:"org_id"`
}

// Kind implements river.JobArgs.
func (ProvisionArgs) Kind() string { return "warehouse_provision" }

// InsertOpts keeps one provisioning per org in the queue.
func (ProvisionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DropArgs is the job that removes a deleted org's warehouse.
type DropArgs struct {
	OrgID int64 `json:"org_id"`
}

// Kind implements river.JobArgs.
func (DropArgs) Kind() string { return "warehouse_drop" }

// SaveFunc stores the credentials of an org's warehouse as its "Warehouse" connection.
type SaveFunc func(ctx context.Context, orgID int64, config map[string]any) error

// ProvisionWorker works ProvisionArgs.
type ProvisionWorker struct {
	river.WorkerDefaults[ProvisionArgs]
	Provisioner *Provisioner
	Save        SaveFunc
}

// Work creates (or re-keys) the warehouse and saves its connection.
func (w *ProvisionWorker) Work(ctx context.Context, job *river.Job[ProvisionArgs]) error {
	creds, err := w.Provisioner.Ensure(ctx, job.Args.OrgID)
	if err != nil {
		return err
	}
	cfg := map[string]any{
		"host": creds.Host, "port": int(creds.Port), "database": creds.Database,
		"user": creds.User, "password": creds.Password, "sslmode": "prefer", "schema": "public",
	}
	if err := w.Save(ctx, job.Args.OrgID, cfg); err != nil {
		return fmt.Errorf("save the Warehouse connection of org %d: %w", job.Args.OrgID, err)
	}
	return nil
}

// DropWorker works DropArgs.
type DropWorker struct {
	river.WorkerDefaults[DropArgs]
	Provisioner *Provisioner
}

// Work drops the warehouse.
func (w *DropWorker) Work(ctx context.Context, job *river.Job[DropArgs]) error {
	return w.Provisioner.Drop(ctx, job.Args.OrgID)
}

// Register adds the warehouse job kinds to a River worker registry.
func Register(workers *river.Workers, p *Provisioner, save SaveFunc) {
	river.AddWorker(workers, &ProvisionWorker{Provisioner: p, Save: save})
	river.AddWorker(workers, &DropWorker{Provisioner: p})
}
