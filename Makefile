# One entry point for everything a developer or CI does. Targets install what they need.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROTO_SRC := $(shell find protos -name '*.proto')

.PHONY: help install protos protos-check lint typecheck test test-unit test-integration test-e2e \
        test-timescaledb run migrate import seed backends bench-intake bench-ingest bench-alert \
        bench-sla bench-import bench-analytics bench-hotspots chaos clean ops-tools ops-generate test-ops observe \
        web browser screenshots

help:
	@echo "make run          start the whole system (installs, migrates, seeds demo data)"
	@echo "make test         lint, type-check and run unit, integration and e2e tests"
	@echo "make test-timescaledb  the tests against MAINT_TEST_PG_URL, a server with TimescaleDB"
	@echo "make bench-intake benchmark ticket creation against a bare FastAPI echo"
	@echo "make bench-analytics  KPI reports over a million tickets (ARGS=\"--tickets 10000\" for less)"
	@echo "make chaos        the fault suite: restarts, kills, partitions under load (ARGS for less)"
	@echo "make protos       regenerate Python code from protos/"
	@echo "make observe      Prometheus on 127.0.0.1:9090 against a running 'make run'"
	@echo "make test-ops     check Prometheus rules, dashboards, compose, Dockerfile and k8s/"
	@echo "make screenshots  regenerate docs/screenshots/ (the web app's main screens) with the browser tests"

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || PY=python3; test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The web application's browser libraries (ECharts; axe-core for the tests) from the npm
# registry, exactly as web/package-lock.json pins them; the browser tests also need Chromium.
WEB_STAMP := web/node_modules/.installed

$(WEB_STAMP): web/package.json web/package-lock.json
	@bash .ci/web-tools.sh
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

web: $(WEB_STAMP)

browser: $(WEB_STAMP)
	@bash .ci/web-tools.sh --browser

screenshots: $(STAMP) backends browser
	WEB_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/e2e/test_web_app.py

# Operations checks (tests/ops, docs/operations.md): promtool, docker-compose and kubectl
# from the machine's packages; promql-parser and kubernetes-validate in .venv; checkov in a
# virtualenv of its own, its pinned dependencies apart from the project's.
OPS_STAMP := $(VENV)/.ops-installed
CHECKOV_VENV := $(VENV)/checkov

$(OPS_STAMP): $(STAMP) .ci/ops-requirements.txt .ci/checkov-requirements.txt
	$(BIN)/pip install --quiet -r .ci/ops-requirements.txt
	test -x $(CHECKOV_VENV)/bin/python || $(BIN)/python -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r .ci/checkov-requirements.txt
	touch $(OPS_STAMP)

ops-tools: $(OPS_STAMP)
	@bash .ci/ops-tools.sh

ops-generate: $(OPS_STAMP)
	$(BIN)/python config/generate.py

test-ops: ops-tools
	$(BIN)/mypy config/generate.py config/container/healthcheck.py tests/ops
	$(BIN)/pytest -q tests/ops

observe:
	@bash .ci/ops-tools.sh
	@mkdir -p var/prometheus
	@echo "Prometheus on http://127.0.0.1:9090 (/alerts, /targets) scraping make run's ports; Ctrl-C stops it"
	prometheus --config.file=config/prometheus/prometheus.yml --storage.tsdb.path=var/prometheus \
	    --web.listen-address=127.0.0.1:9090 --storage.tsdb.retention.time=7d

protos: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m grpc_tools.protoc -Iprotos --python_out=protos --mypy_out=protos \
	    --grpc_python_out=protos --mypy_grpc_out=protos $(PROTO_SRC)
	@find protos/maintenance -type d -exec touch {}/__init__.py \;

protos-check: protos
	@git diff --exit-code --stat -- protos \
	  || (echo "generated code differs from protos/: run 'make protos' and commit" && exit 1)
	@test -z "$$(git status --porcelain -- protos)" \
	  || (echo "untracked generated files: run 'make protos' and commit" && git status --short -- protos && exit 1)

backends:
	@bash .ci/backends.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP) $(OPS_STAMP)
	$(BIN)/mypy services tests bench sensors_sim ml config/generate.py config/container/healthcheck.py

test-unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

test-integration: $(STAMP) backends
	$(BIN)/pytest -q tests/integration

test-e2e: $(STAMP) $(OPS_STAMP) backends browser
	$(BIN)/pytest -q tests/e2e

test: $(STAMP) backends ops-tools browser protos-check lint typecheck
	$(BIN)/pytest -q tests

# The whole suite against the TimescaleDB server MAINT_TEST_PG_URL names (its `postgres`
# database, e.g. postgresql://postgres@127.0.0.1:5433/postgres). It installs nothing: the
# server must already have TimescaleDB installed and preloaded, or this stops at once.
test-timescaledb: $(STAMP) backends ops-tools browser
	$(BIN)/python -m tests.support.timescaledb
	$(BIN)/pytest -q tests

import: $(STAMP)
	$(BIN)/python -m services.importer $(ARGS)

migrate: $(STAMP) backends
	$(BIN)/python -m services.common.migrate

run: $(STAMP) $(WEB_STAMP) backends
	$(BIN)/python -m services.launcher

bench-intake: $(STAMP) backends
	$(BIN)/python -m bench.intake

bench-ingest: $(STAMP) backends
	$(BIN)/python -m bench.ingest

bench-alert: $(STAMP) backends
	$(BIN)/python -m bench.alert

bench-sla: $(STAMP) backends
	$(BIN)/python -m bench.sla

bench-import: $(STAMP) backends
	$(BIN)/python -m bench.import_bench

bench-analytics: $(STAMP) backends
	$(BIN)/python -m bench.analytics $(ARGS)

bench-hotspots: $(STAMP) backends
	$(BIN)/python -m bench.hotspots $(ARGS)

# The fault suite (docs/reliability.md): a private PostgreSQL and broker, every fault in
# turn under load; ARGS="--only postgres-fast,kill:sla --tickets 3" for less.
chaos: $(STAMP) backends
	$(BIN)/python -m tests.chaos $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache var web/node_modules
