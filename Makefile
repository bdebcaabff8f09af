# Ledgerline: `make run` serves the product on its embedded defaults; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
FRONTEND_STAMP := frontend/node_modules/.installed-$(shell cat frontend/package-lock.json 2>/dev/null | sha1sum | cut -c1-12)

# Scale-out services the test suite runs against (the machine's PostgreSQL and Redis).
TEST_ENV := DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ledgerline} \
	BROKER_URL=$${TEST_BROKER_URL:-redis://127.0.0.1:6379/15} \
	CHANNEL_LAYER_URL=$${TEST_CHANNEL_LAYER_URL:-redis://127.0.0.1:6379/14} \
	LEDGERLINE_BROKER_NAMESPACE=ledgerline-test \
	LEDGERLINE_EXTRA_APPS=tests.support.nodes_app \
	LEDGERLINE_DATA_DIR=$${LEDGERLINE_TEST_DATA_DIR:-$(CURDIR)/data/test} \
	LEDGERLINE_SPECS_DIR=$${LEDGERLINE_SPECS_DIR:-$(CURDIR)/../shared/specs}

.PHONY: run test install frontend lint typecheck pytest vitest browser clean

run: install frontend
	$(PY) manage.py bootstrap
	$(PY) manage.py serve

test: install frontend browser lint typecheck vitest pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $@

# The web app is built when its sources are present (frontend/package.json).
frontend:
	@if [ -f frontend/package.json ]; then $(MAKE) --no-print-directory $(FRONTEND_STAMP) && cd frontend && npm run build --silent; \
	else echo "frontend/package.json not found: serving the API without the web app"; fi

$(FRONTEND_STAMP): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser tests drive Debian's Chromium (no browser downloads work here).
browser:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium is missing: install it (apt-get install chromium) or the browser tests are skipped"; fi; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy .

vitest: frontend
	@if [ -f frontend/package.json ]; then cd frontend && npm run test --silent; fi

pytest: install
	$(TEST_ENV) $(VENV)/bin/pytest -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) data frontend/node_modules frontend/static/frontend
