# The README's contract: `make run` starts the bot, `make test` installs what the tests need and runs them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test bench chaos lint venv deps dev-deps migrate clean playground cards guide

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.deps: requirements.txt constraints.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.dev-deps: requirements-dev.txt $(VENV)/.deps
	$(PIP) install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

migrate: deps
	$(PY) -m bot.store.migrate

run: deps migrate
	$(PY) app.py

# Lint first: a lint error fails `make test` (and CI) before any test runs.
test: lint
	bash scripts/test.sh

# The bot (local dev mode, data/playground.db) behind the Microsoft 365 Agents Playground, a Teams-like web client
# installed from npm on first use; prints the URL to open. Ctrl-C stops both.
playground: deps
	$(PY) -m playground

# Every example card of cards/*.py drawn by the official Adaptive Cards renderer → docs/cards/*.png (ja and en).
cards: dev-deps
	$(PY) -m tests.cardcheck.gallery

# The pictures of docs/GUIDE.*.md, taken by the browser tests in the Playground → docs/guide/*.png.
guide: dev-deps
	rm -f docs/guide/*.png
	GUIDE_PICTURES_DIR=docs/guide $(PY) -m pytest -q -p no:cacheprovider tests/browser

bench: dev-deps
	bash scripts/bench.sh

# kill -9 in vote bursts (SQLite and PostgreSQL), SIGTERM with work running, two instances sharing due work.
chaos: dev-deps
	$(PY) -m bench.chaos

# The Teams app package: manifest/ with the app id from MicrosoftAppId (.env) filled in → build/appPackage.zip.
.PHONY: package
package: deps
	$(PY) scripts/package.py

# ruff (lint and formatting), mypy and the layer contracts (pyproject.toml's [tool.mypy] and [tool.importlinter]).
lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .import_linter_cache
