# Accord — the two commands a new user needs:
#   make run    install, migrate, load demo data, serve on http://127.0.0.1:$${ACCORD_PORT:-8000}
#   make test   install what the tests need (PostgreSQL, Chromium) and run the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Every install comes from these pinned, hashed lock files (`make lock` regenerates them).
LOCK := requirements/lock.txt
LOCK_TEST := requirements/lock-test.txt
PIP_TOOLS := pip-tools==7.7.0
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
  --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)

.PHONY: run test install install-test lock lock-check system-deps assets lint i18n-extract \
  i18n-check bench clean

run: install assets
	$(BIN)/accord db upgrade
	$(BIN)/accord demo load
	ACCORD_LOG_FILE=$${ACCORD_LOG_FILE:-$${ACCORD_STATE_DIR:-var}/accord.log} $(BIN)/accord serve

test: install-test assets
	bash scripts/test.sh

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Accord needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(LOCK) pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(LOCK_TEST) $(VENV)/.installed
	$(BIN)/pip install --quiet -r $(LOCK_TEST)
	touch $@

# Re-lock after changing dependencies in pyproject.toml. Keeps every existing pin that still
# fits; `make lock UPGRADE=1` moves everything to the newest allowed versions (needs PyPI).
lock: $(VENV)/bin/python
	$(BIN)/pip install --quiet '$(PIP_TOOLS)'
	$(PIP_COMPILE) -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) --extra test -o $(LOCK_TEST) pyproject.toml

# Offline: pyproject.toml's requirements are all pinned in the locks (also part of make test).
lock-check: install-test
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_lock.py

# Debian packages the server uses (Apertium, tesseract, espeak-ng, fonts, npm); the test run adds
# PostgreSQL and Chromium itself (scripts/test.sh).
system-deps:
	bash scripts/system-deps.sh

assets: system-deps
	bash scripts/vendor-assets.sh

lint: install-test
	$(BIN)/ruff check src tests bench scripts

i18n-extract: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k M_ -k _ -k NC_:1c,2 --no-location --sort-output \
	  --project=Accord -o src/accord/locale/messages.pot .
	$(BIN)/pybabel update -i src/accord/locale/messages.pot -d src/accord/locale -D messages \
	  --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) test-results src/accord/web/static/vendor
