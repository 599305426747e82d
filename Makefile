# Every target sets itself up: a fresh machine needs only python3.11, pip, node and npm.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# Debian's chromium + chromium-driver for the browser tests (e2e tier); apt-get needs root.
BROWSER_STAMP := $(VENV)/.browser
# xdist workers for the in-process tier; the e2e tier runs alone after it (it times real servers).
WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -q

.DEFAULT_GOAL := help
.PHONY: help install check lint typecheck spec-lint test test-fast demo bench clean lock wheel

help:
	@echo "make demo   - set up, start the reference server, run the conformance suite, show the verdict"
	@echo "make test   - set up, lint, type check and run every test"
	@echo "make test-fast - every in-process test, on $(WORKERS) workers (skips the e2e ones: processes, real servers)"
	@echo "make check  - ruff + mypy --strict only"
	@echo "make bench  - benchmarks (figures printed, not asserted)"
	@echo "make lock   - re-resolve requirements.lock from pyproject.toml"
	@echo "make wheel  - build the wheel and sdist into dist/ (make test also installs and smoke-tests it)"

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(BROWSER_STAMP): $(STAMP)
	test -x /usr/bin/chromium && test -x /usr/bin/chromedriver || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }
	touch $@

install: $(STAMP) $(NODE_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck

spec-lint: $(STAMP) $(NODE_STAMP)
	npx --no-install spectral lint --ruleset .spectral.yaml --fail-severity=error openapi.yaml

test: check spec-lint $(BROWSER_STAMP)
	$(PYTEST) -m "not e2e" -n $(WORKERS)
	$(PYTEST) -m e2e

# Sets up only the venv: node_modules serves the Spectral lint and the e2e tier's Node clients.
test-fast: $(STAMP)
	$(PYTEST) -m "not e2e" -n $(WORKERS)

demo: install
	$(BIN)/dnc demo

bench: install
	$(BIN)/python -m bench

wheel: $(STAMP)
	$(BIN)/python -m hatchling build -t wheel -t sdist -d dist

lock: $(STAMP)
	$(BIN)/pip-compile -q --extra dev --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) node_modules dist
