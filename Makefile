# The two commands: `make run` (set up and start everything) and `make test` (set up and
# run the whole suite). Both work on a fresh machine that has only Python 3.11 and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test setup setup-dev lint check clean bench screenshots

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)

# Stamps so a second run installs nothing unless a requirements file changed.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(PIP) install -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-helpdesk.txt requirements-dev.txt | $(BIN)/python
	$(PIP) install -r requirements-dev.txt
	touch $@ $(VENV)/.runtime $(VENV)/.helpdesk

# HELPDESK=1: the product and django-helpdesk in one project (surveys_project/settings_helpdesk.py,
# chosen by manage.py, the Celery app and WSGI from the same variable; docs/integrations.md).
export HELPDESK
$(VENV)/.helpdesk: requirements-helpdesk.txt | $(BIN)/python
	$(PIP) install -r requirements-helpdesk.txt
	touch $@

setup: $(VENV)/.runtime $(if $(filter 1,$(HELPDESK)),$(VENV)/.helpdesk)
setup-dev: $(VENV)/.dev .env

# A contributor's checkout is a development machine: manage.py and pytest run with DEBUG=1
# without typing it. Never committed (.gitignore); the environment still wins over it, and
# production, which never runs `make setup-dev`, keeps refusing to start without SECRET_KEY.
.env:
	printf '# Local development settings, written by make setup-dev; never committed.\nDEBUG=1\n' > $@

## run: migrate, add demo data to an empty database, start web + Celery worker + beat.
run: export DEBUG ?= 1
run: export PATH := $(abspath $(BIN)):$(PATH)
run: setup
	@# beat keeps its schedule file there, whichever broker is used.
	mkdir -p "$${VAR_DIR:-var}"
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	$(if $(filter 1,$(HELPDESK)),$(BIN)/python manage.py helpdesk_demo)
	$(BIN)/python manage.py run_info --base-url http://127.0.0.1:$${WEB_PORT:-8000}
	@# Ctrl-C is how `make run` stops: honcho then stops every process and exits 130, which is
	@# success here (no "make: *** Error 130"). The shell waits for honcho through the signal.
	trap : INT; $(BIN)/honcho -f Procfile.dev start || [ $$? -eq 130 ]

## test: the whole suite. Service tests skip without PostgreSQL/Redis/Chromium unless
## REQUIRE_SERVICES=1 (as in .ci/run).
test: export DEBUG ?= 1
test: setup-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup-dev
	$(BIN)/ruff check .

bench: setup-dev
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

screenshots: setup-dev
	SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser -q

clean:
	rm -rf $(VENV) var staticfiles db.sqlite3 db.sqlite3-*
