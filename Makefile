# QPA: `make run` serves the demo council; `make test` runs every check CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM := /usr/bin/chromium

.PHONY: run lock test lint typecheck migrations-check pytest browser-prerequisites assets clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "QPA needs Python 3.11 or newer: set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Installs exactly the versions and files that requirements/*.txt name (pip checks every
# hash), then QPA itself; `make lock` renews them from pyproject.toml (README).
$(VENV)/.installed-run: requirements/run.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/run.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed-run

PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
	--no-emit-index-url --no-emit-find-links --strip-extras

# Renews the lock files after a change to pyproject.toml's dependencies.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(PIP_COMPILE) --upgrade -o requirements/run.txt pyproject.toml
	$(PIP_COMPILE) --upgrade --extra dev -o requirements/dev.txt pyproject.toml

# The worker beside the server carries out uploaded imports and sends the notifications.
run: $(VENV)/.installed-run
	export DJANGO_SETTINGS_MODULE=config.settings.demo && \
	$(BIN)/qpa migrate --noinput && \
	$(BIN)/qpa collectstatic --noinput --verbosity 0 && \
	$(BIN)/qpa demo-data --if-empty && \
	echo "QPA is serving at http://$(HOST):$(PORT)/ (Ctrl+C to stop)" && \
	{ $(BIN)/qpa worker --interval 2 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
	  $(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -; }

browser-prerequisites:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium for the browser tests…"; \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
		else \
			echo "The browser tests need Debian's chromium at $(CHROMIUM)."; \
			echo "Install it as root: apt-get update && apt-get install -y chromium"; \
			exit 1; \
		fi; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy qpa config

migrations-check: $(VENV)/.installed-dev
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/qpa makemigrations --check --dry-run

deploy-check: $(VENV)/.installed-dev
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
		QPA_EVENT_LOG_KEY=check:$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
		ALLOWED_HOSTS=qpa.example.org $(BIN)/qpa check --deploy --fail-level WARNING

pytest: $(VENV)/.installed-dev browser-prerequisites
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck migrations-check deploy-check pytest

# Rebuilds qpa/core/static from the pinned npm packages in frontend/ (needs Node.js).
assets:
	cd frontend && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) var
