# The two commands a new user needs:  `make all`  and  `make test`.
# Only Python 3 (with venv) and make are required; everything else is installed into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: all setup clean-data analyse reports run test benchmark lab simulate

all: run                     ## set up, then clean, analyse and render reports on data/raw

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)              ## create .venv and install the pinned dependencies

run: setup
	$(BIN)/smartcity run

clean-data: setup            ## data/raw -> data/processed only
	$(BIN)/smartcity clean

test: setup                  ## the full test suite
	$(BIN)/python -m pytest -q

benchmark: setup             ## speed figures (printed, never asserted)
	$(BIN)/python benchmarks/bench_clean.py
	$(BIN)/python benchmarks/bench_rank_uncertainty.py
	$(BIN)/python benchmarks/bench_reports.py

simulate: setup              ## rewrite the bundled simulated raw data (deterministic)
	$(BIN)/python -m smartcity_simulator --out data/example/raw

lab: setup                   ## explore in JupyterLab
	$(BIN)/jupyter lab notebooks/
