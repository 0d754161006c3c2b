# Truce: `make demo` runs the bundled mission, `make test` runs every check.
# The newest CPython 3.11+ the machine has, on PATH or under pyenv: on 3.12 and later coverage measures through
# sys.monitoring, which takes about 40% off the suite's CPU (issue 15, part 8). `make PYTHON=...` overrides.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 \
  $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9].*/bin/python3 2>/dev/null | sort -rV) python3; do \
  "$$p" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 11)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := src/truce/web/static/vendor
ASSETS := $(VENDOR)/.copied

.DEFAULT_GOAL := help
.PHONY: help install assets messages demo serve test lint typecheck pytest bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -V)" != "$$($(PYTHON) -V)" ]; then rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install Truce with its development tools

# Leaflet, leaflet.markercluster, Leaflet.draw (the admin pages' map editor; it ships no licence file, so its
# package.json, which says MIT, goes with it), htmx, pmtiles (the PMTiles basemap) and Swagger UI (for /docs) from
# npm (package-lock.json), copied into the package's static files: the pages never load anything from a CDN.
# --ignore-scripts also keeps swagger-ui-dist's dependency @scarf/scarf from running its install-time analytics.
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/leaflet/images $(VENDOR)/leaflet-draw/images $(VENDOR)/markercluster $(VENDOR)/htmx $(VENDOR)/swagger-ui $(VENDOR)/pmtiles
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/LICENSE $(VENDOR)/leaflet/
	cp node_modules/leaflet/dist/images/*.png $(VENDOR)/leaflet/images/
	cp node_modules/leaflet-draw/dist/leaflet.draw.js node_modules/leaflet-draw/dist/leaflet.draw.css \
	   node_modules/leaflet-draw/package.json $(VENDOR)/leaflet-draw/
	cp node_modules/leaflet-draw/dist/images/spritesheet* $(VENDOR)/leaflet-draw/images/
	cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js node_modules/leaflet.markercluster/dist/MarkerCluster.css \
	   node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css node_modules/leaflet.markercluster/MIT-LICENCE.txt $(VENDOR)/markercluster/
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE $(VENDOR)/htmx/
	cp node_modules/pmtiles/dist/pmtiles.js node_modules/pmtiles/package.json $(VENDOR)/pmtiles/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/LICENSE node_modules/swagger-ui-dist/NOTICE $(VENDOR)/swagger-ui/
	touch $@

assets: $(ASSETS) ## fetch the pages' JavaScript libraries with npm and copy them into the static files

messages: $(STAMP) ## extract the pages' strings and update the catalogues (then translate the new ones)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header -k N_ -k Message -k worded:2 -o src/truce/web/translations/messages.pot .
	$(BIN)/pybabel update --ignore-obsolete --width 120 -i src/truce/web/translations/messages.pot -d src/truce/web/translations

demo: $(STAMP) $(ASSETS) ## load the nk-2020 demo mission into ./truce-data and serve it on http://127.0.0.1:8000
	$(BIN)/truce demo

serve: $(STAMP) $(ASSETS) ## serve ./truce-data without loading anything
	$(BIN)/truce serve

lint: $(STAMP) ## ruff (lint and format check)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP) ## mypy, strict on src/truce
	$(BIN)/mypy

# How coverage measures, by the venv's Python: through sys.monitoring from 3.12, 0.6 of the C tracer's CPU;
# it measures branches there only from 3.14, so on 3.12 and 3.13 it measures lines (issue 15, part 8).
export COVERAGE_MODE := import sys; v = sys.version_info[:2]; \
  print("ctrace true" if v < (3, 12) else "sysmon false" if v < (3, 14) else "sysmon true")

# Over every core (pytest-xdist); a module that starts a server, a browser or a demo copy stays on one worker
# (loadgroup, tests/conftest.py). No test may rely on another having run first in its process. The 25 slowest
# tests are printed (the suite's time is watched: issue 15, part 8), and every skip with its reason.
pytest: $(STAMP) $(ASSETS) ## the test suite (SQLite always; PostGIS too when TRUCE_TEST_DATABASE_URL is set)
	set -- $$($(BIN)/python -c "$$COVERAGE_MODE"); COVERAGE_CORE=$$1 TRUCE_COVERAGE_BRANCH=$$2 \
	$(BIN)/pytest -n auto --dist loadgroup --cov --cov-report=term:skip-covered -q -rs --durations=25

test: lint typecheck pytest ## every check: lint, types, tests

bench: $(STAMP) $(ASSETS) ## run the benchmarks and print their figures
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean: ## remove the virtual environment and caches (keeps ./truce-data)
	rm -rf $(VENV) .mypy_cache .ruff_cache .coverage node_modules $(VENDOR)
