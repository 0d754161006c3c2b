# Truce: `make demo` runs the bundled mission, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo serve test lint typecheck pytest bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install Truce with its development tools

demo: $(STAMP) ## load the nk-2020 demo mission into ./truce-data and serve it on http://127.0.0.1:8000
	$(BIN)/truce demo

serve: $(STAMP) ## serve ./truce-data without loading anything
	$(BIN)/truce serve

lint: $(STAMP) ## ruff (lint and format check)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP) ## mypy, strict on src/truce
	$(BIN)/mypy

pytest: $(STAMP) ## the test suite (SQLite always; PostGIS too when TRUCE_TEST_DATABASE_URL is set)
	$(BIN)/pytest --cov --cov-report=term:skip-covered -q

test: lint typecheck pytest ## every check: lint, types, tests

bench: $(STAMP) ## run the benchmarks and print their figures
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean: ## remove the virtual environment and caches (keeps ./truce-data)
	rm -rf $(VENV) .mypy_cache .ruff_cache .coverage
