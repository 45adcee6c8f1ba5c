# Everything runs from .venv/ (created on first use from the locked requirements) and node_modules/ (buf).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
PROTO_OUT := protos

.PHONY: help run test lint proto proto-check settings-doc bench chaos lock screenshot clean

help:
	@echo "make run    - start the local stack (sandboxes, Actions service, gateway)"
	@echo "make test   - run the test suite"
	@echo "make lint   - ruff, mypy, buf lint and the deployment files' schemas"
	@echo "make proto  - regenerate the Python stubs from protos/"
	@echo "make settings-doc - rewrite README's configuration tables from common/config/"
	@echo "make bench  - run the benchmarks"
	@echo "make screenshot - docs/console.png from a stack started on free ports (needs chromium)"
	@echo "make chaos  - a bounded run under faults on PostgreSQL; fails if an answer was false, anything ran twice or was lost"
	@echo "make lock   - re-resolve requirements.lock and requirements.runtime.lock from pyproject.toml"

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The stamp is rebuilt whenever the lock or the project metadata changes. Both projects install
# editable: the production one (the whole repository on the path) and devtools/ (the sandboxes'
# commands, which the production package does not have).
$(VENV)/.installed: requirements.lock pyproject.toml devtools/pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation \
		--editable . --editable ./devtools
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

# requirements.lock: everything (development included); requirements.runtime.lock: what the image
# needs, held to the same versions.
lock: | $(BIN)/uv
	$(BIN)/uv pip compile --quiet --python-version 3.11 --universal --generate-hashes --no-header \
		--extra dev pyproject.toml -o requirements.lock
	$(BIN)/uv pip compile --quiet --python-version 3.11 --universal --generate-hashes --no-header \
		--constraints requirements.lock pyproject.toml -o requirements.runtime.lock

proto: $(VENV)/.installed
	$(BIN)/python -m grpc_tools.protoc -I protos \
		--python_out=$(PROTO_OUT) --pyi_out=$(PROTO_OUT) \
		--plugin=protoc-gen-mypy_grpc=$(BIN)/protoc-gen-mypy_grpc --mypy_grpc_out=$(PROTO_OUT) \
		--grpc_python_out=$(PROTO_OUT) protos/actions/v1/actions.proto

# Fails when the committed stubs differ from what `make proto` generates.
proto-check: proto
	git diff --exit-code -- $(PROTO_OUT)
	test -z "$$(git status --porcelain -- $(PROTO_OUT))"

# README's configuration tables are made from the settings' declarations; lint fails when stale.
settings-doc: $(VENV)/.installed
	$(BIN)/python -m services.settings_doc

lint: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m services.settings_doc --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	npx --no-install buf lint
	$(BIN)/python deploy/check.py

test: $(VENV)/.installed
	$(BIN)/pytest

run: $(VENV)/.installed
	$(BIN)/python -m services.devstack

screenshot: $(VENV)/.installed
	$(BIN)/python -m services.gladly_sandbox.screenshot

bench: $(VENV)/.installed
	$(BIN)/python -m bench $(ARGS)

chaos: $(VENV)/.installed
	$(BIN)/python -m bench.chaos $(ARGS)

clean:
	rm -rf $(VENV) node_modules .mypy_cache .pytest_cache .ruff_cache
