# Two entry points: `make run` (the app) and `make test` (the test suite).
# Both create the virtual environment on first use, from the lock file: the exact
# versions, checked by hash, that the benchmarks and CI ran with (Linux x86_64,
# Python 3.11). `make lock` refreshes it (README, "Set-up and the two commands").
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
LOCK_VENV := .lock-venv
PIP_TOOLS := pip-tools==7.6.2

.PHONY: run test test-all bundle lock clean

$(STAMP): pyproject.toml $(LOCK)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
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
bundle: $(STAMP)
	$(BIN)/python benchmarks/bundle.py

# Pins what pyproject.toml asks for, with every file's hash. Versions already in the lock
# are kept; `make lock UPGRADE=--upgrade` takes the newest that pyproject.toml allows.
lock:
	$(PY) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet $(PIP_TOOLS)
	$(LOCK_VENV)/bin/pip-compile --quiet $(UPGRADE) --generate-hashes --allow-unsafe --extra dev \
	    --extra bundle --strip-extras --no-emit-index-url --no-emit-find-links \
	    -o $(LOCK) pyproject.toml

clean:
	rm -rf $(VENV) $(LOCK_VENV)
