# Everything runs from .venv, which the first target that needs it creates.
# `make run` serves the demo on http://127.0.0.1:8000 (PORT=... to change it);
# `make test` runs the whole suite (on PostgreSQL and Redis when DATABASE_URL and
# REDIS_URL are set, as CI does).

# The venv's Python: the first of these that is a version Django 5.2 supports (3.10 to 3.13; CI
# tests 3.11). Each candidate is run, so a pyenv shim of a version that is not installed is passed
# over. PYTHON=/path/to/python overrides the choice.
PYTHON_CANDIDATES := python3.13 python3.12 python3.11 python3.10 python3
SUPPORTED_PYTHON := import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 13))
PYTHON ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	$$p -c '$(SUPPORTED_PYTHON)' >/dev/null 2>&1 && { command -v $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# Only for the test process: the suite runs with DEBUG off, like production.
TEST_ENV := SECRET_KEY=test-only-secret-key-not-for-any-real-deployment-0123456789 \
	AUDIT_KEY=test-only-audit-key-not-for-any-real-deployment DEBUG=0 HTTPS_ONLY=0
PYTEST_ARGS ?=

.PHONY: install local-env run test mutation lint bench migrate seed backup restore clean

$(PY):
	@python="$(PYTHON)"; \
	test -n "$$python" || { echo "Python 3.10 to 3.13 is needed, and none of $(PYTHON_CANDIDATES) is one:" \
		"install one (3.11 is what CI tests), or set PYTHON=/path/to/python3.x."; exit 1; }; \
	"$$python" -c '$(SUPPORTED_PYTHON)' >/dev/null 2>&1 || { echo "PYTHON=$$python is not Python 3.10 to 3.13:" \
		"set PYTHON=/path/to/python3.x with x from 10 to 13."; exit 1; }; \
	echo "$$python -m venv $(VENV)"; "$$python" -m venv $(VENV)

# Reinstall only when a requirements file changed since the last install.
$(INSTALLED): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(INSTALLED)

# A local, plain-HTTP run with the demo data: $(OPMODEL_VAR_DIR or var)/local.env says DEBUG=1,
# HTTPS_ONLY=0, a SECRET_KEY kept across runs, PORT and SITE_URL. manage.py and `python -m opmodel`
# read it (variables set in the environment win), so README's commands work in a plain shell.
# Production sets DEBUG=0 and a real SECRET_KEY in the environment and has no such file.
local-env: install
	$(PY) -m opmodel local-env

run: migrate
	$(PY) manage.py seed_demo
	$(PY) -m opmodel dev

test: install
	$(TEST_ENV) $(PY) -m pytest -ra $(PYTEST_ARGS)

# Mutation testing (tests/mutation.py; modules, test files and operators in pyproject.toml's
# [tool.opmodel.mutation]): cosmic-ray puts one small bug at a time into the rules that matter most and
# each module's fast tests must catch 95 % of them, on SQLite. Slow: JOBS modules run at once;
# MODULES="kpis/ingest.py" runs only those. Its output (mutants/) is git-ignored.
JOBS ?= 2
MODULES ?=
mutation: install
	JOBS=$(JOBS) $(TEST_ENV) $(PY) tests/mutation.py $(MODULES)

# bandit fails on high-severity findings; configuration in pyproject.toml ([tool.bandit]). lint-imports
# checks the layout's contracts ([tool.importlinter]): no import rings, no view importing another's.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/bandit -c pyproject.toml --quiet --severity-level high -r opmodel initiatives kpis governance benchmarks

# Ingest throughput, the scorecard recompute, the page times at 12 and at 2,000 initiatives, the mixed
# load test, then a SOAK_SECONDS soak with a real Celery worker and beat, on PostgreSQL (DATABASE_URL,
# default a local opmodel_bench database) and Redis (REDIS_URL, default database 0 on the local server).
# The page benchmark has two databases of its own, named after that one (the other benchmarks empty
# tables it needs). The data sets are created on the first run and reused.
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/opmodel_bench)
BENCH_PAGES_SMALL_URL ?= $(BENCH_DATABASE_URL)_pages_small
BENCH_PAGES_LARGE_URL ?= $(BENCH_DATABASE_URL)_pages_large
BENCH_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
SOAK_SECONDS ?= 60
bench: install
	@$(foreach url,$(BENCH_DATABASE_URL) $(BENCH_PAGES_SMALL_URL) $(BENCH_PAGES_LARGE_URL),\
		{ psql "$(url)" -c 'SELECT 1' >/dev/null 2>&1 || \
		psql "$(dir $(url))postgres" -c "CREATE DATABASE $(notdir $(url))"; } &&) true
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) benchmarks/ingest.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) benchmarks/scorecards.py
	$(PY) benchmarks/pages.py --small $(BENCH_PAGES_SMALL_URL) --large $(BENCH_PAGES_LARGE_URL)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) benchmarks/load.py
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) benchmarks/load.py --soak --seconds $(SOAK_SECONDS)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) benchmarks/redis_outage.py

migrate: local-env
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# A consistent copy of the database (DATABASE_URL, default the local SQLite) in var/backups/: pg_dump on
# PostgreSQL, the online backup on SQLite. `make restore FILE=...` replaces the database with one.
backup: migrate
	$(PY) manage.py backup

restore: local-env
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=var/backups/opmodel-<time>.sqlite3 (or .dump)"; exit 1; }
	$(PY) manage.py restore "$(FILE)"

# Removes the venv and local state, including the SQLite database and local.env in var/.
clean:
	rm -rf $(VENV) var test-results mutants .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
