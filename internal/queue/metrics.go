package queue

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/rivertype"
)

var jobsDesc = prometheus.NewDesc(
	"datanika_queue_jobs",
	"Jobs in the River queue by queue and state.",
	[]string{"queue", "state"}, nil,
)

var scrapeErrorDesc = prometheus.NewDesc(
	"datanika_queue_scrape_error",
	"1 when the last read of the queue's job counts failed.",
	nil, nil,
)

// Collector exports River's job counts as gauges, read from the database at scrape time (so any
// process, API or worker, reports the same numbers).
type Collector struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

// NewCollector returns a Prometheus collector of queue gauges.
func NewCollector(pool *pgxpool.Pool, logger *slog.Logger) *Collector {
	return &Collector{pool: pool, logger: logger}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	ch <- scrapeErrorDesc
}

var allStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
	rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts := map[string]map[string]float64{DefaultQueue: {}}
	err := func() error {
		rows, err := c.pool.Query(ctx, "SELECT queue, state::text, count(*) FROM river_job GROUP BY 1, 2")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var queue, state string
			var n int64
			if err := rows.Scan(&queue, &state, &n); err != nil {
				return err
			}
			if counts[queue] == nil {
				counts[queue] = map[string]float64{}
			}
			counts[queue][state] = float64(n)
		}
		return rows.Err()
	}()
	failed := 0.0
	if err != nil {
		failed = 1
		c.logger.Warn("read queue metrics", "error", err)
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, failed)
	if err != nil {
		return
	}
	for queue, byState := range counts {
		for _, s := range allStates {
			ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, byState[string(s)], queue, string(s))
		}
	}
}
