# Two commands on a fresh machine:  `make run` (the platform on http://127.0.0.1:8000)
# and `make test` (the whole suite). Both install what they need first and are quiet when
# nothing changed.

SHELL := /bin/bash
PYTHON ?= python3
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
STAMPS := .make
DIST := src/sparkle/web/static/dist
FRONTEND_SRC := $(wildcard frontend/src/*) frontend/build.mjs frontend/package.json \
	frontend/package-lock.json frontend/.npmrc
PYTEST_ARGS ?=

.PHONY: run test install assets lint clean bench

run: install
	$(UV) run --frozen sparkle serve

test: install
	$(UV) run --frozen pytest -q -n auto $(PYTEST_ARGS)

install: $(STAMPS)/venv $(STAMPS)/assets

$(STAMPS)/uv:
	@mkdir -p $(STAMPS)
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@touch $@

$(STAMPS)/venv: pyproject.toml uv.lock $(STAMPS)/uv
	@$(UV) sync --frozen --quiet --python 3.11
	@touch $@

$(STAMPS)/assets: $(FRONTEND_SRC)
	@mkdir -p $(STAMPS)
	@cd frontend && npm ci --no-audit --no-fund --loglevel=error >/dev/null && node build.mjs
	@touch $@

assets: $(STAMPS)/assets

# The gate CI runs before the tests: lint, format, types, and the import contracts (run once
# pyproject.toml has a [tool.importlinter] section).
lint: $(STAMPS)/venv
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	@if grep -q '^\[tool\.importlinter\]' pyproject.toml; then \
		echo "$(UV) run --frozen lint-imports"; $(UV) run --frozen lint-imports; \
	else \
		echo "lint-imports: skipped, no [tool.importlinter] contracts in pyproject.toml"; \
	fi

bench: install
	$(UV) run --frozen python bench/http_bench.py

clean:
	rm -rf $(STAMPS) $(DIST) frontend/node_modules .venv
