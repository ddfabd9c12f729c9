package server

import (
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/datanika/datanika/api"
)

// BenchmarkCompileIn1000Models compiles one model of an org of 1,000 models through the API
// (POST /transformations/{id}/compile, the IDE's call, with its EXPLAIN plan on the
// destination) and reports the p95 latency (goal of issue 18: ≤ 100 ms). Results and the
// command are in docs/benchmarks.md.
func BenchmarkCompileIn1000Models(b *testing.B) {
	s := setup(b, func(d *Deps) { d.MaxUploadBytes = 8 << 20 })
	f := s.newOrg(b)
	conn := decode[api.Connection](b, s.call(b, http.MethodPost, "/api/v1/connections", f.owner.AccessToken,
		map[string]any{"name": "bench", "type": "postgres", "config": localPostgres("secret-pw")}), http.StatusCreated).Id
	const n = 1000
	files := map[string][]byte{"dbt_project.yml": []byte("name: bench\nversion: '1'\nconfig-version: 2\n")}
	files["models/m0000.sql"] = []byte("select 1 as id, 'x' as name")
	for i := 1; i < n; i++ {
		files[fmt.Sprintf("models/m%04d.sql", i)] = []byte(fmt.Sprintf(
			"{{ config(tags=['bench']) }}\nselect id, name, %d as level\nfrom {{ ref('m%04d') }}\nwhere id is not null", i, (i-1)/2))
	}
	rec := s.call(b, http.MethodPost, fmt.Sprintf("/api/v1/transformations/import?destination_connection_id=%d", conn), f.owner.AccessToken,
		upload{"file", "bench.zip", zipOf(b, files)})
	if rec.Code != http.StatusOK {
		b.Fatalf("import: %d %s", rec.Code, rec.Body.String())
	}
	var id int64
	list := decode[struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}](b, s.call(b, http.MethodGet, "/api/v1/transformations?limit=500", f.owner.AccessToken, nil), http.StatusOK)
	for _, it := range list.Items {
		if it.Name == "m0400" {
			id = it.ID
		}
	}
	if id == 0 {
		b.Fatal("m0400 not found")
	}
	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		rec := s.call(b, http.MethodPost, fmt.Sprintf("/api/v1/transformations/%d/compile", id), f.viewer.AccessToken, nil)
		took = append(took, time.Since(start))
		if rec.Code != http.StatusOK {
			b.Fatalf("compile: %d %s", rec.Code, rec.Body.String())
		}
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
}
