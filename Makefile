# Everything runs from .venv, which the first target that needs it creates.
# `make run` serves the demo on http://127.0.0.1:8000 (PORT=... to change it);
# `make test` runs the whole suite (on PostgreSQL and Redis when DATABASE_URL and
# REDIS_URL are set, as CI does).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# A local, plain-HTTP run with the demo data; production sets DEBUG=0 and a real SECRET_KEY.
LOCAL_ENV := DEBUG=1 HTTPS_ONLY=0
# Only for the test process: the suite runs with DEBUG off, like production.
TEST_ENV := SECRET_KEY=test-only-secret-key-not-for-any-real-deployment-0123456789 DEBUG=0 HTTPS_ONLY=0
PYTEST_ARGS ?=

.PHONY: install run test lint bench migrate seed clean

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed: install python3.11 (or a python3 that is 3.11)."; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
		{ echo "$(PYTHON) is not Python 3.11; set PYTHON=/path/to/python3.11."; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed since the last install.
$(INSTALLED): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(INSTALLED)

run: migrate
	$(LOCAL_ENV) $(PY) manage.py seed_demo
	$(LOCAL_ENV) $(PY) -m opmodel dev

test: install
	$(TEST_ENV) $(PY) -m pytest -ra $(PYTEST_ARGS)

# bandit fails on high-severity findings; configuration in pyproject.toml ([tool.bandit]).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -c pyproject.toml --quiet --severity-level high -r opmodel initiatives kpis governance benchmarks

# Ingest throughput, then the scorecard recompute, on PostgreSQL (DATABASE_URL, default a local
# opmodel_bench database). The scorecard data set is created on the first run and reused.
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/opmodel_bench)
bench: install
	@psql "$(BENCH_DATABASE_URL)" -c 'SELECT 1' >/dev/null 2>&1 || \
		psql "$(dir $(BENCH_DATABASE_URL))postgres" -c "CREATE DATABASE $(notdir $(BENCH_DATABASE_URL))"
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) benchmarks/ingest.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) benchmarks/scorecards.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) benchmarks/load.py

migrate: install
	$(LOCAL_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(LOCAL_ENV) $(PY) manage.py seed_demo

# Removes the venv and local state, including the SQLite database in var/.
clean:
	rm -rf $(VENV) var test-results .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
