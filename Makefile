# Two commands run everything on a fresh machine (Python 3.11+, Node.js for the front-end):
#   make run    – create .venv, install, migrate, seed the demo city if empty, serve the app at
#                 http://127.0.0.1:8000 with a Celery worker + beat (embedded: SQLite, no Redis)
#   make test   – install what the tests need and run the whole suite
# With DATABASE_URL / REDIS_URL set, the same commands use PostgreSQL and Redis.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
MANAGE := $(BIN)/python manage.py

.PHONY: run test test-dates lint install install-dev assets schema messages lock bench smoke smoke-prod \
	test-pgbouncer api-contract check-backup test-replica clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements/lock.txt
	$(PIP) install -q -c requirements/lock.txt .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -q -c requirements/lock.txt ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed assets
install-dev: $(VENV)/.installed-dev assets
assets: node_modules/.installed

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo --if-empty
	$(MANAGE) load_calendar
	bash scripts/run-dev.sh

# Two pytest-xdist workers: each has its own test database (pytest-django) and Redis database
# (REDIS_URL's plus the worker's number, config/settings/test.py). PYTEST_WORKERS=0 runs the
# suite in one process; `pytest tests/...` alone does too.
PYTEST_WORKERS ?= 2
test: install-dev
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

# The tests marked `dates` once more at the last minute of this year and the first of the
# next, Asia/Shanghai (ARREARS_TEST_CLOCK, tests/conftest.py): year-end rollovers show up in
# CI before they do on 31 December. `make test` runs them on today's date. One pytest session,
# one xdist worker per moment running every `dates` test (--dist each), side by side.
THIS_YEAR := $(shell TZ=Asia/Shanghai date +%Y)
DATE_CLOCKS ?= $(THIS_YEAR)-12-31T23:59:00+08:00 $(shell expr $(THIS_YEAR) + 1)-01-01T00:01:00+08:00
test-dates: install-dev
	ARREARS_TEST_CLOCK="$(DATE_CLOCKS)" $(BIN)/python -m pytest -m dates -q -p no:cacheprovider \
	  -n $(words $(DATE_CLOCKS)) --dist each

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	# The layers and "no cycles" of docs/architecture.md (pyproject.toml, [tool.importlinter]).
	PYTHONPATH=. $(BIN)/lint-imports --no-cache
	$(MANAGE) makemigrations --check --dry-run

schema: install-dev
	$(MANAGE) spectacular --lang zh-hans --file docs/openapi.yaml --validate --fail-on-warn

messages: install-dev
	$(MANAGE) makemessages -l en --ignore=.venv --ignore=node_modules --ignore=tests
	$(MANAGE) compilemessages -l en

lock: install-dev
	{ echo '# Every package, transitive ones included, at the version CI tested. Regenerate with `make lock`.'; $(PIP) freeze --exclude-editable | grep -v '^arrears'; } > requirements/lock.txt

# Reads on a replica (arrears/replica.py) against a real PostgreSQL 15 primary and streaming
# replica made for the run in a temporary folder (scripts/pg-replica.sh, ports 5433/5434): the
# replica tests, the router's, and the reporting pages, API and exports on that pair. The cache
# is the process's own (CACHE_REDIS_URL empty): dashboards kept in Redis by an earlier run on
# another database must not answer for this one.
REPLICA_TESTS ?= tests/test_replica.py tests/test_replica_router.py tests/reporting/test_pages.py \
	tests/reporting/test_export_jobs.py tests/reporting/test_cache.py
test-replica: install-dev
	dir=$$(mktemp -d /tmp/arrears-replica.XXXXXX); \
	bash scripts/pg-replica.sh start $$dir || { bash scripts/pg-replica.sh stop $$dir; exit 1; }; \
	DATABASE_URL=postgres://postgres@127.0.0.1:5433/arrears_replica \
	  REPLICA_DATABASE_URL=postgres://postgres@127.0.0.1:5434/arrears_replica \
	  CACHE_REDIS_URL= ARREARS_REQUIRE_REPLICA=1 $(BIN)/python -m pytest -q -p no:cacheprovider $(REPLICA_TESTS); \
	status=$$?; bash scripts/pg-replica.sh stop $$dir; exit $$status

smoke: install
	bash scripts/smoke.sh

# The production path on PostgreSQL and Redis (see scripts/smoke-prod.sh for what it needs):
# gunicorn.conf.py, worker, beat, Chromium on the city dashboard, /readyz.
smoke-prod: install-dev
	bash scripts/smoke-prod.sh

# The export, job, worker and health tests with DATABASE_URL pointing at PgBouncer in transaction
# mode, started on a free port in front of 127.0.0.1:5432 and stopped after (scripts/pgbouncer.sh;
# needs the pgbouncer package). docs/deployment.md, "Connection pooling".
test-pgbouncer: install-dev
	bash scripts/pgbouncer.sh

# Schemathesis over docs/openapi.yaml with every check against a served instance (production
# settings, gunicorn, PostgreSQL, Redis), as the city office and as an integration client.
api-contract: install-dev
	bash scripts/api-contract.sh

# Back up a seeded database and its evidence files, restore them, compare (PostgreSQL).
check-backup: install
	bash scripts/check-backup.sh

clean:
	rm -rf $(VENV) node_modules staticfiles var
