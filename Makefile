# Every target sets up .venv/ first, so a fresh checkout needs nothing but Python 3.11+ and make. What it installs
# comes from requirements.lock (exact versions with hashes), so a fresh clone gets exactly what CI tested; `make lock`
# refreshes the lock on purpose.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

NODE_TOOLS := tests/node/node_modules/.installed

.PHONY: run test lint bench lock clean translations

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Re-resolve every dependency to the newest versions pyproject.toml allows; commit the result after `make test`.
lock: $(STAMP)
	$(BIN)/uv pip compile --quiet --universal --generate-hashes --python-version 3.11 --extra dev \
		pyproject.toml requirements-build.in -o requirements.lock

run: $(STAMP)
	$(BIN)/cxm demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# The browser accessibility audit (axe-core) and the single sign-on tests' OpenID provider (oidc-provider) come from
# the npm registry, pinned by tests/node/package-lock.json. Without Node.js those tests skip (CI installs it).
$(NODE_TOOLS): tests/node/package.json tests/node/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/node --no-audit --no-fund --loglevel=error && touch $@; \
		else echo "make: npm not found; the accessibility and single sign-on tests will skip"; fi

# Two pytest-xdist workers: the suite waits much of its time on Chromium, PostgreSQL and servers it started, so one
# process leaves a core idle. --dist loadgroup keeps the tests marked tests.support.timing.timed on one worker, one
# after another. Bytecode caching is turned back on for the run (where PYTHONDONTWRITEBYTECODE is set): otherwise every
# worker and every `cxm` the tests start compiles the app, and pytest rewrites every test module, from source again.
test: lint $(NODE_TOOLS)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 2 --dist loadgroup

# The web benchmark drives the server with wrk (Debian package `wrk`), a load generator light enough to leave the CPU
# to the server under test.
bench: $(STAMP)
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "bench: install wrk (apt-get install wrk) for the web benchmark"; exit 1; }
	$(BIN)/python bench/run.py

# Translations (docs/translations.md): collect the texts to translate from code and templates, merge them into each
# language's catalog, compile the .mo files the app reads (committed, so a fresh clone needs no build step), then refuse
# catalogs with a wrong placeholder or a gap where they must be complete (make fails; the tests fail too).
LOCALE_DIR := src/cxmaturity/i18n/locale
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --add-location=file --sort-by-file --no-wrap --project=cx-maturity \
		--copyright-holder="cx-maturity contributors" -o $(LOCALE_DIR)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALE_DIR)/messages.pot -d $(LOCALE_DIR) --no-wrap --no-fuzzy-matching
	$(BIN)/pybabel compile -d $(LOCALE_DIR) --statistics
	$(BIN)/cxm translations check

clean:
	rm -rf $(VENV) tests/node/node_modules build dist .mypy_cache .pytest_cache .ruff_cache .hypothesis
