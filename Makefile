# Civic: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
export FLASK_APP := wsgi
# scripts/vendor-assets.sh writes every front-end library; its last file (the API reference's Swagger UI)
# stands for the set
VENDORED := static/vendor/swagger-ui/swagger-ui-bundle.js

.PHONY: run test install assets install-test lint test-sqlite test-postgres test-browser bench clean lock audit

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

# The lock files pin every package with its hashes (make lock writes them); the editable install after them finds
# everything in place (and would add only a dependency setup.cfg gained since the last make lock).
$(VENV)/.installed: $(BIN)/activate setup.cfg pyproject.toml requirements.lock
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed setup.cfg requirements-test.lock $(VENDORED)
	$(BIN)/pip install -q --require-hashes -r requirements-test.lock
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## make lock: pin setup.cfg's dependencies (and the test extra's), with hashes, into the two lock files
LOCK_OPTIONS := -q --generate-hashes --strip-extras --allow-unsafe --no-header --no-emit-index-url --no-emit-find-links
lock: $(BIN)/activate
	$(BIN)/pip install -q pip-tools
	$(BIN)/pip-compile $(LOCK_OPTIONS) -o requirements.lock setup.cfg
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra test -o requirements-test.lock setup.cfg

## make audit: known vulnerabilities in the locked packages (pip-audit; needs PyPI's JSON API on the network)
audit: $(BIN)/activate
	$(BIN)/pip install -q pip-audit
	$(BIN)/pip-audit --require-hashes --disable-pip -r requirements-test.lock

## front-end libraries from npm into static/vendor (never from a CDN at run time)
$(VENDORED): package.json package-lock.json scripts/vendor-assets.sh
	scripts/vendor-assets.sh

assets: $(VENDORED)

install: $(VENV)/.installed assets
install-test: $(VENV)/.installed-test

## make run: install, migrate, seed the demo on first run, serve with gunicorn on http://127.0.0.1:5000
run: install
	$(BIN)/flask civic migrate
	@$(BIN)/flask civic is-seeded || $(BIN)/flask civic seed-demo
	@$(BIN)/flask civic reindex --if-missing
	@echo "Civic is at http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - wsgi:app

## make test: lint, import rules, the suite on SQLite, again on PostgreSQL, then the browser tests
test: install-test lint test-sqlite test-postgres test-browser

lint:
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test-sqlite:
	$(BIN)/pytest -q -p no:cacheprovider

test-postgres:
	@if $(BIN)/python scripts/check-postgres.py "$(PG_URL)"; then \
		CIVIC_TEST_DATABASE_URL="$(PG_URL)" $(BIN)/pytest -q -p no:cacheprovider; \
	elif [ -n "$$CIVIC_REQUIRE_ALL" ]; then \
		echo "FAILED: PostgreSQL is not reachable at $(PG_URL); start it (see README)."; exit 1; \
	else \
		echo "SKIPPED: PostgreSQL is not reachable at $(PG_URL); the PostgreSQL run did not happen."; \
	fi

test-browser:
	@if [ -x /usr/bin/chromium ]; then \
		$(BIN)/pytest -q -p no:cacheprovider --browser; \
	elif [ -n "$$CIVIC_REQUIRE_ALL" ]; then \
		echo "FAILED: Chromium is missing (apt-get install chromium); the browser tests cannot run."; exit 1; \
	else \
		echo "SKIPPED: Chromium is missing (apt-get install chromium); the browser tests did not run."; \
	fi

## make bench: the benchmarks in bench/, each printing its figures beside its budget
bench: install-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
