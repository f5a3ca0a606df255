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
	api-contract check-backup clean

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

smoke: install
	bash scripts/smoke.sh

# The production path on PostgreSQL and Redis (see scripts/smoke-prod.sh for what it needs):
# gunicorn.conf.py, worker, beat, Chromium on the city dashboard, /readyz.
smoke-prod: install-dev
	bash scripts/smoke-prod.sh

# Schemathesis over docs/openapi.yaml with every check against a served instance (production
# settings, gunicorn, PostgreSQL, Redis), as the city office and as an integration client.
api-contract: install-dev
	bash scripts/api-contract.sh

# Back up a seeded database and its evidence files, restore them, compare (PostgreSQL).
check-backup: install
	bash scripts/check-backup.sh

clean:
	rm -rf $(VENV) node_modules staticfiles var
