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

.PHONY: run test lint install install-dev assets schema messages lock bench smoke smoke-prod \
	check-backup clean

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

test: install-dev
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(MANAGE) makemigrations --check --dry-run

schema: install-dev
	$(MANAGE) spectacular --file docs/openapi.yaml --validate --fail-on-warn

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

# Back up a seeded database and its evidence files, restore them, compare (PostgreSQL).
check-backup: install
	bash scripts/check-backup.sh

clean:
	rm -rf $(VENV) node_modules staticfiles var
