# NextFlow — one binary, dashboard embedded.
#   make run        build the dashboard (when Node is present) and serve on SQLite
#   make test       go vet, go test -race, web checks and end-to-end tests
#   make generate   regenerate sqlc code, the OpenAPI document and the TypeScript client
#   make bench      engine and cron benchmarks
#   make chaos      SIGKILL x20 across three nodes, a PostgreSQL restart and a Redis outage under load

GO        ?= go
BIN       := bin/nextflow
SQLC      := $(GO) run github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1
GOTEST_FLAGS ?= -race -timeout 20m
WEB_DIST  := internal/webui/dist
# Every Go package of ours (go.mod ignores ./web).
GO_PKGS    = ./...

.PHONY: run build web web-deps segment-client-deps test test-go test-web test-e2e vet generate generate-check bench chaos clean

run: build
	./$(BIN) serve --log-format text

build:
	@if [ -d web ] && command -v npm >/dev/null 2>&1; then $(MAKE) web; else echo "web/ or npm missing: building without the dashboard"; fi
	$(GO) build -o $(BIN) ./cmd/nextflow

web-deps:
	@if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
		cd web && npm ci --no-audit --no-fund; else echo "web/node_modules is current"; fi

web: web-deps
	cd web && npm run build
	find $(WEB_DIST) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	cp -R web/out/. $(WEB_DIST)/

vet:
	@GOFMT="$$($(GO) env GOROOT)/bin/gofmt"; test -z "$$($$GOFMT -l cmd internal)" || ($$GOFMT -l cmd internal; echo "gofmt: the files above need formatting (gofmt -w)"; exit 1)
	$(GO) vet $(GO_PKGS)

# The official Segment client (npm @segment/analytics-node) that
# internal/e2e/segment_test.go drives; test-only, never embedded.
SEGMENT_CLIENT := internal/e2e/segmentclient
segment-client-deps:
	@if ! command -v npm >/dev/null 2>&1; then echo "npm missing: the Segment client e2e test will skip (fail under CI=true)"; \
	elif [ ! -d $(SEGMENT_CLIENT)/node_modules ] || [ $(SEGMENT_CLIENT)/package-lock.json -nt $(SEGMENT_CLIENT)/node_modules/.package-lock.json ]; then \
		cd $(SEGMENT_CLIENT) && npm ci --no-audit --no-fund; else echo "$(SEGMENT_CLIENT)/node_modules is current"; fi

test-go: segment-client-deps
	$(GO) test $(GOTEST_FLAGS) $(GO_PKGS)

# Web checks: unit tests, then the static build embedded in a fresh binary,
# then the browser end-to-end tests against that binary.
test-web: web
	cd web && npm run lint && npm run typecheck && npm run test
	$(GO) build -o $(BIN) ./cmd/nextflow
	cd web && NEXTFLOW_BIN=$(CURDIR)/$(BIN) npm run e2e

test-e2e: build
	cd web && NEXTFLOW_BIN=$(CURDIR)/$(BIN) npm run e2e

test: vet test-go
	@if [ -d web ]; then $(MAKE) test-web; fi

generate:
	$(SQLC) generate -f internal/store/sqlite/sqlc.yaml
	$(SQLC) generate -f internal/store/postgres/sqlc.yaml
	$(GO) run ./cmd/nextflow openapi > api/openapi.json
	@if [ -d web ]; then $(MAKE) web-deps && cd web && npm run generate; fi

generate-check: generate
	@git diff --exit-code -- internal/store api web/src/shared/api || (echo "generated files are stale: run make generate and commit" && exit 1)
	@test -z "$$(git status --porcelain -- internal/store api web/src/shared/api)" || (git status --porcelain -- internal/store api web/src/shared/api && echo "generated files are untracked: commit them" && exit 1)

bench: build
	./$(BIN) bench engine --db sqlite --executions 2000 --steps 5
	./$(BIN) bench engine --db postgres --executions 5000 --steps 5
	./$(BIN) bench cron --schedules 1000

# Not part of make test: it restarts the machine's PostgreSQL and stops and
# starts its Redis (internal/e2e/chaos_test.go). NEXTFLOW_CHAOS_KILLS=N
# changes the number of SIGKILLs.
chaos:
	$(GO) test -tags chaos -run TestChaos -count=1 -v -timeout 30m ./internal/e2e/

clean:
	rm -rf bin web/out web/.next
	find $(WEB_DIST) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
