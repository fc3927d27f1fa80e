SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/1

.PHONY: run test install browser migrate demo lint messages bench bench-smoke clean

# Creates the virtualenv and installs the pinned dependencies (again whenever pyproject.toml changes).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

# Serves http://$(HOST):$(PORT) under daphne, with the auction clock, the payments worker and the
# task worker (huey: notifications, court webhooks) beside it; Ctrl-C stops them all. The shell ignores
# INT and TERM while it stops its group: `kill 0` reaches the shell too.
run: demo
	@echo "Serving http://$(HOST):$(PORT)  (court console: /console/, API docs: /api/docs)"
	@stop() { trap '' INT TERM; trap - EXIT; kill 0; wait; }; \
	trap 'stop; exit 0' INT TERM; trap stop EXIT; \
	$(PY) manage.py auction_clock & \
	$(PY) manage.py payments_worker & \
	$(PY) manage.py run_huey & \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

# Debian's Chromium and CJK fonts for the browser tests (Chinese renders as boxes without the fonts);
# WenQuanYi Micro Hei is the TrueType CJK font the confirmation PDFs embed (docs/results.md).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk' || ! fc-list 2>/dev/null | grep -qi 'wqy'; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk fonts-wqy-microhei >/dev/null; \
	fi

# The whole suite on SQLite + in-memory channel layer, then on PostgreSQL + Redis when reachable.
# With CI=true, unreachable PostgreSQL or Redis is a failure, not a skip.
test: $(STAMP) browser
	$(PY) -m pytest
	@if $(PY) tests/services_up.py "$(PG_TEST_URL)" "$(REDIS_TEST_URL)"; then \
	  echo "== PostgreSQL + Redis pass"; \
	  DATABASE_URL=$(PG_TEST_URL) REDIS_URL=$(REDIS_TEST_URL) $(PY) -m pytest; \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL or Redis unreachable and CI=true: failing instead of skipping"; exit 1; \
	else \
	  echo "PostgreSQL or Redis unreachable: the PostgreSQL + Redis pass is skipped"; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Re-extracts and compiles the English catalogue (needs GNU gettext: apt-get install gettext).
# The compiled .mo files are committed, so running the site needs no gettext.
messages: $(STAMP)
	$(PY) manage.py makemessages -l en --ignore '.venv/*' --ignore 'var/*'
	$(PY) manage.py makemessages -d djangojs -l en --ignore '.venv/*' --ignore 'var/*'
	$(PY) manage.py compilemessages -l en --ignore '.venv/*'

bench: $(STAMP)
	$(PY) -m bench.run --out bench/results.md

bench-smoke: $(STAMP)
	$(PY) -m bench.run --smoke

clean:
	rm -rf $(VENV) var
