# Two entry points (see README): `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup fonts run test test-fast lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[maps,distributed,geodata,test,dev,app]"
	touch $(STAMP)

setup: $(STAMP)

# Chinese labels on maps need a CJK font; install Debian's when we can, else the maps fall back to
# romanised labels with a warning.
fonts:
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk; \
	fi

run: $(STAMP) fonts
	$(BIN)/medalloc validate data data/dianjiang
	$(BIN)/medalloc run scenarios/yongchuan_2030.toml
	$(BIN)/medalloc justify scenarios/yongchuan_2030.toml --sites 朱沱镇,三教镇,来苏镇
	$(BIN)/medalloc coverage scenarios/yongchuan_2025.toml

test: $(STAMP)
	$(BIN)/ruff check optimizer tests benchmarks scripts data/build.py
	$(BIN)/mypy
	$(BIN)/pytest -q

# The fast lane: everything but the tests marked slow (shipped-data solves, subprocesses, Dask,
# browsers). CI runs `make test`.
test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
