package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The HTTP stack's own cost per request (middleware, routing, error mapping), without network.
// Run with `make bench`; results are recorded in docs/benchmarks.md.

func benchmarkRequest(b *testing.B, method, target string, want int) {
	s := setup(b)
	req := httptest.NewRequest(method, target, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("status %d, want %d", rec.Code, want)
		}
	}
}

func BenchmarkHealthz(b *testing.B) { benchmarkRequest(b, http.MethodGet, "/healthz", http.StatusOK) }

func BenchmarkAppDeepLink(b *testing.B) {
	benchmarkRequest(b, http.MethodGet, "/pipelines/12", http.StatusOK)
}

func BenchmarkUnknownAPIPathProblem(b *testing.B) {
	benchmarkRequest(b, http.MethodGet, "/api/v1/nope", http.StatusNotFound)
}

func BenchmarkReadyz(b *testing.B) { benchmarkRequest(b, http.MethodGet, "/readyz", http.StatusOK) }
