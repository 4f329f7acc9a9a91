# The two commands a newcomer needs: `make run` and `make test`. Both install what is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_BIN ?= /usr/lib/postgresql/15/bin

.PHONY: run test install system-deps node-deps lint typecheck protos check-protos proto-lint bench clean

$(STAMP): pyproject.toml client/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --config-settings editable_mode=compat -e ./client -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests need (apt needs root): PostgreSQL 15 binaries for the suite's private
# server, and the Go protobuf/gRPC plugins that prove Go stubs generate from protos/.
SYSTEM_PACKAGES := postgresql-15 protoc-gen-go protoc-gen-go-grpc
system-deps:
	@if [ ! -x $(PG_BIN)/initdb ] || ! command -v protoc-gen-go >/dev/null || ! command -v protoc-gen-go-grpc >/dev/null; then \
	  echo "Installing $(SYSTEM_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	fi

# The Node.js client's packages (clients/node, from its package-lock.json); only the tests need them.
NODE_STAMP := clients/node/node_modules/.package-lock.json
$(NODE_STAMP): clients/node/package.json clients/node/package-lock.json
	cd clients/node && npm ci --no-audit --no-fund --loglevel=error

node-deps: $(NODE_STAMP)

## Run the gateway in the foreground on the embedded demo repository at 127.0.0.1:50051.
run: $(STAMP)
	$(BIN)/cm-butler-gateway serve --demo

## Run the whole test suite (starts and stops its own PostgreSQL server).
test: $(STAMP) system-deps node-deps
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy server/src client/src tests scripts $(wildcard benchmarks/*.py)

## Regenerate the Python stubs (and .pyi) from protos/.
protos: $(STAMP)
	$(BIN)/python scripts/generate_stubs.py

## Fail when the committed stubs differ from what protos/ generates.
check-protos: $(STAMP)
	$(BIN)/python scripts/generate_stubs.py --check

proto-lint: $(STAMP)
	cd protos && ../$(BIN)/buf lint

## Print the benchmarks' figures (start-up, clone cost, health under load; queries on 100k datasets).
bench: $(STAMP)
	$(BIN)/python benchmarks/foundation.py
	$(BIN)/python benchmarks/queries.py --data-dir $(or $(BENCH_DATA_DIR),/tmp/cm-butler-gateway-bench)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache clients/node/node_modules
