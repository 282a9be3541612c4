# AidCase — the commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/sh
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
MANAGE := $(PY) manage.py

.PHONY: install system-deps run test lint bench spreadsheets clean

NODE_STAMP := node_modules/.installed-$(shell cksum < package-lock.json | cut -d' ' -f1)

install: system-deps $(STAMP) $(NODE_STAMP)
	@$(MANAGE) compilemessages --ignore=.venv --ignore=var --ignore=node_modules -v0

system-deps:
	@scripts/system-deps

$(STAMP): pyproject.toml scripts/requirements
	@python=$$(scripts/find-python) || exit 1; \
	if ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo "Creating $(VENV) with $$python"; rm -rf $(VENV); "$$python" -m venv $(VENV) || exit 1; \
	fi
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) scripts/requirements > $(VENV)/requirements.txt
	@$(PY) -m pip install -q --disable-pip-version-check -r $(VENV)/requirements.txt
	@rm -f $(VENV)/.installed-*; touch $@

# Front-end test tools (axe-core for the browser tests), pinned in package-lock.json.
$(NODE_STAMP): package.json package-lock.json
	@npm ci --no-audit --no-fund --silent
	@touch $@

# Serves plain HTTP on the loopback interface, so HTTPS-only cookies and redirects are off
# here; production keeps them on (see README).
run: install
	@mkdir -p var
	@$(MANAGE) migrate --noinput -v0
	@$(MANAGE) collectstatic --noinput -v0
	@if ! $(MANAGE) shell --no-imports -c "from students.models import School; raise SystemExit(0 if School.objects.exists() else 1)" 2>/dev/null; then \
		echo "First run: creating demo data…"; \
		$(MANAGE) seed_demo --schools 2 > var/demo-accounts.txt || exit 1; \
	fi
	@[ -f var/demo-accounts.txt ] && cat var/demo-accounts.txt || true
	@echo "Serving AidCase on http://127.0.0.1:$(PORT)/ (and a task worker for the ZIP exports)"
	@DJANGO_HTTPS=$${DJANGO_HTTPS:-0} $(MANAGE) db_worker --no-reload --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DJANGO_HTTPS=$${DJANGO_HTTPS:-0} $(VENV)/bin/gunicorn aidcase.wsgi:application \
		--bind 127.0.0.1:$(PORT) --workers 2 --access-logfile -

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	$(MANAGE) makemigrations --check --dry-run -v1

test: lint
	$(VENV)/bin/pytest

# Benchmarks: figures as ratios to a floor measured in the same run; exit code 1 when a goal
# is missed. The students import on a throwaway SQLite database; then, when PostgreSQL is
# reachable (DATABASE_URL, else postgres://127.0.0.1:5432/postgres), county scale and a locust
# load test against gunicorn, on databases the bench creates and drops. Not part of `make test`.
# Parts and sizes: make bench BENCH="county load --schools 20" (python -m bench.run --help).
bench: install
	$(PY) -m bench.run $(BENCH)

# The test workbooks in tests/data/spreadsheets/, made with LibreOffice as schools make them
# (installs LibreOffice Calc when missing). The files are committed; not part of `make test`.
spreadsheets: $(STAMP)
	@scripts/make-spreadsheets

clean:
	rm -rf $(VENV) node_modules var/static .pytest_cache .mypy_cache .ruff_cache
