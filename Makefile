PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test test-fast lint typecheck pytest bench bench-smoke test-pg clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

setup: $(STAMP)

## Open the terminal UI on a demo store made from sample_plans/.
run: $(STAMP)
	$(BIN)/tracker demo

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
