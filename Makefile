# One entry point for everything a developer or CI does. Targets install what they need.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROTO_SRC := $(shell find protos -name '*.proto')

.PHONY: help install protos protos-check lint typecheck test test-unit test-integration test-e2e \
        run migrate import seed backends bench-intake bench-ingest bench-alert bench-sla bench-hotspots clean

help:
	@echo "make run          start the whole system (installs, migrates, seeds demo data)"
	@echo "make test         lint, type-check and run unit, integration and e2e tests"
	@echo "make bench-intake benchmark ticket creation against a bare FastAPI echo"
	@echo "make protos       regenerate Python code from protos/"

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || PY=python3; test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

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

typecheck: $(STAMP)
	$(BIN)/mypy services tests bench sensors_sim ml

test-unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

test-integration: $(STAMP) backends
	$(BIN)/pytest -q tests/integration

test-e2e: $(STAMP) backends
	$(BIN)/pytest -q tests/e2e

test: $(STAMP) backends protos-check lint typecheck
	$(BIN)/pytest -q tests

import: $(STAMP)
	$(BIN)/python -m services.importer $(ARGS)

migrate: $(STAMP) backends
	$(BIN)/python -m services.common.migrate

run: $(STAMP) backends
	$(BIN)/python -m services.launcher

bench-intake: $(STAMP) backends
	$(BIN)/python -m bench.intake

bench-ingest: $(STAMP) backends
	$(BIN)/python -m bench.ingest

bench-alert: $(STAMP) backends
	$(BIN)/python -m bench.alert

bench-sla: $(STAMP) backends
	$(BIN)/python -m bench.sla

bench-hotspots: $(STAMP) backends
	$(BIN)/python -m bench.hotspots $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache var
