# Two entry points (see README): `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[maps,distributed,test,dev]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/medalloc validate data data/dianjiang
	$(BIN)/medalloc run scenarios/yongchuan_2030.toml
	$(BIN)/medalloc coverage scenarios/yongchuan_2025.toml

test: $(STAMP)
	$(BIN)/ruff check optimizer tests benchmarks data/build.py
	$(BIN)/mypy
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
