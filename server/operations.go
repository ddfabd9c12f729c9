package server

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/database"
)

// readinessTimeout bounds a readiness check, so a hung database makes /readyz answer 503 quickly
// instead of hanging the load balancer's probe.
const readinessTimeout = 3 * time.Second

// GetHealth answers as long as the process is up.
func (h *handlers) GetHealth(context.Context, api.GetHealthRequestObject) (api.GetHealthResponseObject, error) {
	return api.GetHealth200JSONResponse{Status: api.HealthStatusOk}, nil
}

// GetReadiness checks the metadata database and its schema version.
func (h *handlers) GetReadiness(ctx context.Context, _ api.GetReadinessRequestObject) (api.GetReadinessResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, readinessTimeout)
	defer cancel()
	st := database.CheckStatus(ctx, h.pool)

	body := api.Readiness{
		Status: api.ReadinessStatusReady,
		Database: api.ReadinessCheck{
			Ok: st.Reachable,
		},
		Migrations: api.MigrationStatus{
			Ok:              st.Current(),
			Version:         st.Schema.Version,
			ExpectedVersion: st.ExpectedVersion,
			Dirty:           st.Schema.Dirty,
			QueueVersion:    &st.QueueVersion,
		},
	}
	if !st.WorkerHeartbeatAt.IsZero() {
		at := st.WorkerHeartbeatAt.UTC()
		body.WorkerHeartbeatAt = &at
	}
	if st.Reachable {
		ms := st.Latency.Milliseconds()
		body.Database.LatencyMs = &ms
	}
	if st.Err != nil {
		msg := st.Err.Error()
		if !st.Reachable {
			body.Database.Message = &msg
		} else {
			body.Migrations.Ok = false
		}
	}
	if !st.Current() || st.Err != nil {
		body.Status = api.ReadinessStatusNotReady
		if st.Reachable && st.Err == nil {
			msg := "the schema is not at the version this binary expects"
			if st.Schema.Dirty {
				msg = "a migration failed half way; the schema needs an operator"
			}
			body.Database.Message = &msg
		}
		return api.GetReadiness503JSONResponse(body), nil
	}
	return api.GetReadiness200JSONResponse(body), nil
}

// GetMetrics exposes the process's Prometheus registry.
func (h *handlers) GetMetrics(context.Context, api.GetMetricsRequestObject) (api.GetMetricsResponseObject, error) {
	return metricsResponse{gatherer: h.gatherer}, nil
}

// metricsResponse writes the registry in the Prometheus text format; the generated response
// type would send a plain string with the wrong content type.
type metricsResponse struct {
	gatherer prometheus.Gatherer
}

func (r metricsResponse) VisitGetMetricsResponse(w http.ResponseWriter) error {
	families, err := r.gatherer.Gather()
	if err != nil && len(families) == 0 {
		return err
	}
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, mf := range families {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	w.Header().Set("Content-Type", string(format))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}
