# Template repository commands. `make test` is what CI runs.
SHELL := /bin/bash
UV ?= uv
DEMO_DIR ?= build/demo
DEMO_PORT ?= 8000

.PHONY: help install test lint docs demo bench mutation clean

help:
	@echo "make demo   render a service with default answers, migrate SQLite, serve it (offline model)"
	@echo "make test   run every template test (PostgreSQL/PgBouncer tests need the servers; see README)"
	@echo "make lint   ruff on the template repository"
	@echo "make docs   build the documentation site (mkdocs --strict) into build/site"
	@echo "make bench  run the benchmarks (needs PostgreSQL; results in docs/performance.md)"
	@echo "make mutation  mutation-test the security and memory code (needs PostgreSQL; ~30 min; docs/quality.md)"

install:
	$(UV) sync --quiet

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .

docs: install
	NO_MKDOCS_2_WARNING=1 $(UV) run mkdocs build --strict

# The site's --strict build is a test too (tests/test_docs_site.py), as are the
# settings reference (tests/test_settings_reference.py) and every documented command
# (tests/test_docs_commands.py).
test: install lint
	$(UV) run pytest -n 2 --dist loadgroup

demo: install
	$(UV) run python -m scripts.demo --dir $(DEMO_DIR) --port $(DEMO_PORT)

bench: install
	$(UV) run python -m benchmarks.agent_turns
	$(UV) run python -m benchmarks.chat_turns

# On demand, like bench: mutmut over a rendered project's auth, limits, URL, health and
# memory modules on SQLite and PostgreSQL; writes docs/quality.md.
mutation: install
	$(UV) run python -m scripts.mutation

clean:
	rm -rf build .pytest_cache .ruff_cache
