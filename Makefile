# Datanika — run `make help` for the targets. The README's two commands are `make run` and `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO_TOOL  := go tool -modfile=tools/go.mod
SQLC     := CGO_ENABLED=0 $(GO_TOOL) sqlc
LINT     := go tool -modfile=tools/lint/go.mod golangci-lint
NPM      := npm --prefix frontend

VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT     ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS    := -s -w \
	-X github.com/datanika/datanika/internal/buildinfo.version=$(VERSION) \
	-X github.com/datanika/datanika/internal/buildinfo.commit=$(COMMIT) \
	-X github.com/datanika/datanika/internal/buildinfo.buildDate=$(BUILD_DATE)

GENERATED := api/api.gen.go db/dbgen frontend/src/api/schema.d.ts

.PHONY: help gen verify build build/go run test test/e2e lint bench bench-load bench-load-files bench-load/ci bench-rest bench-runs bench-schedules bench-transform bench-transform/ci drill-metadata db/reset clean

help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_\/-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# A checkout whose node_modules is a link to another checkout's install (a git worktree) does
# not reinstall it: npm ci through the link would empty the other checkout's install.
frontend/node_modules/.installed: frontend/package-lock.json
	@if [ -L frontend/node_modules ]; then echo "frontend/node_modules links to another install: not reinstalling it" >&2; else $(NPM) ci --no-audit --no-fund; fi
	@touch $@

gen: frontend/node_modules/.installed ## Regenerate api/ (oapi-codegen), db/dbgen (sqlc) and the SPA's TypeScript client
	$(GO_TOOL) oapi-codegen -config api/config.yaml openapi.yaml
	$(SQLC) generate -f db/sqlc.yaml
	$(NPM) run --silent gen

verify: gen ## Regenerate and fail when generated code differs from what is committed
	@if [ -n "$$(git status --porcelain -- $(GENERATED))" ]; then \
		git status --porcelain -- $(GENERATED); git --no-pager diff --stat -- $(GENERATED); \
		echo "generated code is stale: run 'make gen' and commit the result"; exit 1; \
	fi
	@echo "generated code is up to date"

build: frontend/node_modules/.installed ## Build the SPA and the binary (bin/datanika)
	$(NPM) run build
	$(MAKE) --no-print-directory build/go

build/go: ## Build only the binary, with whatever SPA is in frontend/dist
	go build -trimpath -tags minicore_disabled -ldflags "$(LDFLAGS)" -o bin/datanika ./cmd/datanika

run: build ## Set everything up and run Datanika at http://localhost:8080
	scripts/run.sh

test: frontend/node_modules/.installed ## Go tests against real PostgreSQL and MariaDB, then the SPA's unit tests
	scripts/test.sh

test/e2e: build ## Browser tests (Playwright + Debian's Chromium) against the real binary
	scripts/e2e.sh

lint: frontend/node_modules/.installed ## golangci-lint, ESLint and the TypeScript compiler
	$(LINT) run --allow-parallel-runners ./...
	$(NPM) run lint
	$(NPM) run typecheck

bench: ## Run the Go benchmarks (results: docs/benchmarks.md)
	go test -run '^$$' -bench . -benchmem ./...

bench-load: ## Load engine benchmarks a–e against their baselines (env: ROWS=2000000 RUNS=3 BIG_ROWS=10000000; results: docs/benchmarks.md)
	ROWS=$${ROWS:-2000000} RUNS=$${RUNS:-3} BIG_ROWS=$${BIG_ROWS:-10000000} bench/load/bench.sh

drill-metadata: ## Operator drill: restart the metadata PostgreSQL twice during a busy schedule of incremental appends, then check rows and runs (env: PIPELINES=6 DURATION=90s INTERVAL=2s OUTAGE=15; results: docs/benchmarks.md)
	bench/drill/drill.sh

bench-rest: ## REST API source: records/s and peak RSS loading 50,000 / 100,000 / 200,000 records served in pages of 100 (env: SIZES RUNS=3; results: docs/benchmarks.md)
	bench/rest/bench.sh

bench-runs: ## Run benchmarks: trigger-to-running latency over 100 runs, 20 pipelines across 4 orgs at once (results: docs/benchmarks.md)
	RUNS=$${RUNS:-100} bench/runs/bench.sh

bench-schedules: ## Schedules: fire latency (fire instant → run running) over 500 fires through the scheduler loop and a River worker; one tick of 10,000 due schedules (results: docs/benchmarks.md)
	DNK_BENCH_SCHEDULES=1 go test -p 1 -count=1 -v -run '^TestBench' ./internal/schedule | grep -E 'bench_test|^(---|ok|FAIL)'

bench-load-files: ## File sources: a ROWS-row CSV and parquet file into PostgreSQL vs psql \copy + primary key (env: ROWS=2000000 RUNS=3; results: docs/benchmarks.md)
	ROWS=$${ROWS:-2000000} RUNS=$${RUNS:-3} bench/load/files.sh

bench-load/ci: ## Load engine benchmarks at 20,000 rows, one run: the pipelines work end to end (ratios not asserted)
	ROWS=20000 RUNS=1 BIG_ROWS=0 GOALS=0 bench/load/bench.sh

bench-transform: ## Transform engine: compile CPU and peak RSS at 10,000 and 1,000 models, re-parse after one edit (env: MODELS=10000 SMALL=1000 RUNS=3 BASE_REV=<rev>; results: docs/benchmarks.md)
	MODELS=$${MODELS:-10000} SMALL=$${SMALL:-1000} RUNS=$${RUNS:-3} bench/transform/bench.sh

bench-transform/ci: ## Transform engine benchmarks at 500 models, one run, goals not judged: compile and re-parse work end to end
	MODELS=500 SMALL=0 RUNS=1 REPARSE=3 GOALS=0 bench/transform/bench.sh

db/reset: build/go ## Drop, recreate and migrate the development database
	scripts/db-reset.sh

clean: ## Remove build output (bin/, the built SPA)
	rm -rf bin
	cd frontend && node scripts/clean-dist.mjs
