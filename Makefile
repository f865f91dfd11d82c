PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two installs: what running needs (`make run`), and the test, lint and PostgreSQL tools
# on top (`make test` and the rest). pip's output goes to a log, shown only if it fails.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
LOG := $(VENV)/install.log
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: setup run test test-fast lint typecheck pytest bench bench-smoke test-pg clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@echo "installing tracker and what it needs to run (a minute the first time)"
	@$(PIP) -e . >$(LOG) 2>&1 || { cat $(LOG); echo "make: the install failed (above; also in $(LOG))"; exit 1; }
	@touch $@

$(STAMP): $(RUN_STAMP) pyproject.toml
	@echo "installing the test, lint and PostgreSQL tools"
	@$(PIP) -e '.[test,postgres]' >$(LOG) 2>&1 || { cat $(LOG); echo "make: the install failed (above; also in $(LOG))"; exit 1; }
	@touch $@

setup: $(STAMP)

## Open the terminal UI on the demo store (made from sample_plans/ the first time; kept
## until `tracker demo --reset`). Installs only what running needs.
run: $(RUN_STAMP)
	@$(BIN)/tracker demo

## ruff (lint and format) and the layer contracts (import-linter, pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check tracker tests bench
	$(BIN)/ruff format --check tracker tests bench
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n auto

## Lint, type-check and run the whole suite.
test: lint typecheck pytest

## The inner loop: lint, types and every test but the slow ones (kill, stress, monkey, tmux).
test-fast: lint typecheck
	$(BIN)/pytest -n auto -m "not slow and not tmux"

## The whole suite on SQLite and on a throwaway PostgreSQL server started as CI starts it.
test-pg: $(STAMP)
	scripts/pg-test-server run $(MAKE) test

## The benchmark: 1k, 10k and 100k actions beside the stdlib floors and Taskwarrior. Each run
## writes a new bench/out/results-<UTC date>T<time>Z-<sizes>.json; earlier ones are kept.
## BENCH_ARGS="--million" adds 1,000,000.
bench: $(STAMP)
	TRACKER_TODAY=$${TRACKER_TODAY:-2026-11-25} $(BIN)/python bench/run.py $(BENCH_ARGS)

## A tiny run of the benchmark (200 actions, one run) to show it works.
bench-smoke: $(STAMP)
	TRACKER_TODAY=$${TRACKER_TODAY:-2026-11-25} $(BIN)/python bench/run.py --sizes 200 --runs 1 \
		--data bench/out/smoke/data --out bench/out/smoke

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis bench/out/smoke
