# cqpi: `make run` starts the application with demo data, `make test` runs every check and test.
.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PY := .venv/bin/python
MANAGE := $(PY) manage.py
# The suite runs in this many processes (pytest-xdist), each with its own test database,
# Redis database and media folder (cqpi/settings/test.py); 1 runs it in one.
TEST_PROCESSES ?= 2
# The checks read the committed tree, not a developer's environment.
CHECK_ENV := env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL DJANGO_SETTINGS_MODULE=cqpi.settings.base
# The compose file refuses to render without a secret; any value validates it.
COMPOSE_ENV := SECRET_KEY=compose-config-check POSTGRES_PASSWORD=compose-config-check SEAL_PKCS12_PASSPHRASE=compose-config-check CREDENTIALS_KEY_SECRET=compose-config-check

.PHONY: help venv run data messages check lint typecheck imports-check migrations-check compose-check \
	test-deps test test-stress pytest bench format clean

help:
	@echo "make run     start cqpi on http://127.0.0.1:8000 with a Celery worker and demo data"
	@echo "make test    install what the tests need, run every check, then the whole test suite"
	@echo "make test-stress  the whole suite while stress-ng keeps every core busy"
	@echo "make check   lint, format, types, import layers, migrations and docker-compose checks only"
	@echo "make format  rewrite the code with ruff (format and safe fixes)"
	@echo "make bench   the web benchmark on local PostgreSQL and Redis (generates its load data)"

venv:
	@scripts/venv.sh

# --- make run ---------------------------------------------------------------
run: venv messages data
	$(MANAGE) rundev

data: venv
	$(MANAGE) migrate --no-input
	$(MANAGE) load_reference_data
	$(MANAGE) load_demo_data

messages: venv
	@if [ -n "$$(find . -path ./.venv -prune -o -path ./var -prune -o -name '*.po' -print -quit)" ]; then \
		command -v msgfmt >/dev/null || scripts/apt-ensure.sh gettext; \
		$(MANAGE) compilemessages --ignore .venv --ignore var -v 0; \
	fi

# --- make check / make test ---------------------------------------------------
check: venv lint typecheck imports-check migrations-check compose-check

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: venv
	.venv/bin/mypy .

# The layer rule (pyproject.toml, [tool.importlinter]): apps import only downward.
imports-check: venv
	.venv/bin/lint-imports --no-cache

migrations-check: venv
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
		echo "makemigrations --check --dry-run"; \
		$(CHECK_ENV) VAR_DIR="$$tmp" $(MANAGE) makemigrations --check --dry-run

compose-check:
	@command -v docker-compose >/dev/null || scripts/apt-ensure.sh docker-compose
	$(COMPOSE_ENV) docker-compose config -q
	@echo "docker-compose.yml is valid"

test-deps:
	@if [ ! -x /usr/lib/chromium/chromium ]; then scripts/apt-ensure.sh chromium; fi
	@scripts/apt-ensure.sh gettext poppler-utils docker-compose
	@# axe-core, the accessibility engine the browser tests load (pinned in tests/browser).
	@if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then \
		command -v npm >/dev/null || scripts/apt-ensure.sh npm; \
		npm ci --prefix tests/browser --no-audit --no-fund --silent; \
	fi

# The checks and the tests both run, so that one failure does not hide the other.
test: venv test-deps messages
	@checks=passed; tests=passed; \
	$(MAKE) --no-print-directory -k check || checks=FAILED; \
	$(MAKE) --no-print-directory pytest || tests=FAILED; \
	echo "==> make test: checks $$checks, tests $$tests"; \
	[ "$$checks" = passed ] && [ "$$tests" = passed ]

# The suite must hold on a loaded machine: the same tests while stress-ng keeps every core
# busy (STRESS_WORKERS, default one per core), stopped whatever the outcome.
STRESS_WORKERS ?= $(shell nproc)
test-stress: venv test-deps messages
	@command -v stress-ng >/dev/null || scripts/apt-ensure.sh stress-ng
	@stress-ng --cpu $(STRESS_WORKERS) --quiet & stress=$$!; trap 'kill $$stress 2>/dev/null' EXIT; \
	echo "==> stress-ng: $(STRESS_WORKERS) CPU workers (pid $$stress)"; \
	started=$$SECONDS; status=0; $(MAKE) --no-print-directory pytest || status=$$?; \
	echo "==> make test-stress: pytest exited with $$status after $$((SECONDS - started)) s under load"; \
	exit $$status

# PostgreSQL and Redis: DATABASE_URL/REDIS_URL, else the local servers, else throwaway ones
# (always throwaway ones with SERVICES=--throwaway).
pytest: venv
	$(PY) scripts/with_services.py $(SERVICES) -- .venv/bin/pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder --durations=10 $(PYTEST_ARGS)

# The benchmarks, on local PostgreSQL and Redis (docs/PERFORMANCE.md): pages under gunicorn with
# production settings and wrk at 20 connections, then PDF rendering, then the hot queries' plans.
bench: venv messages
	@command -v wrk >/dev/null || scripts/apt-ensure.sh wrk
	$(PY) bench/web.py
	$(PY) bench/pdf.py
	$(PY) bench/explain.py > var/bench/explain.md
	@echo "query plans written to var/bench/explain.md"

format: venv
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

clean:
	rm -rf var/test-media .pytest_cache .mypy_cache .ruff_cache
