# Two entry points: `make run` (the app) and `make test` (the test suite).
# Both create the virtual environment on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-all bundle clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cc2d-app

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -m "not slow"

# Also the real-data quick profile (~15 min on 2 cores; skipped without ../shared).
test-all: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q

# The clinic bundle dist/cc2d-app/ (app.spec, ADR 0010): builds it, runs its self-test, packs
# it as .tar.gz and logs the figures to benchmarks/results/. Not part of `make test`.
$(VENV)/.bundle-installed: $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,bundle]"
	touch $@

bundle: $(VENV)/.bundle-installed
	$(BIN)/python benchmarks/bundle.py

clean:
	rm -rf $(VENV)
