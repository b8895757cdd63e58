# Two entry points: `make run` (the app) and `make test` (the test suite).
# Both create the virtual environment on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-all clean

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

clean:
	rm -rf $(VENV)
