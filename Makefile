# The two commands a new user needs:  `make all`  and  `make test`.
# Only Python 3 (with venv) and make are required; everything else is installed into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: all setup lock clean-data analyse reports run focus screenshots chromium test test-fast lint benchmark lab simulate

# The three focus regencies: their reports also in English and as PDF, and side by side.
FOCUS  := Kukar Paser Kotim
# Debian's browser, for the browser test and the screenshots; `make test` installs it when missing.
CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# bash with pipefail: a step whose output is filtered still fails when the step fails.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

all: setup                   ## set up, then clean, analyse and render reports (data/raw, else the example)
	$(BIN)/smartcity run --no-done-line
	@if $(BIN)/python -c "import sys; from smartcity_utils import paths; sys.exit(paths.has_data_files(paths.RAW_DIR))"; \
	then $(MAKE) --no-print-directory focus screenshots; \
	else echo "data/raw holds your files: for English reports, PDFs or a comparison, see smartcity report --help"; fi
	@$(BIN)/python -c "from smartcity_utils import commands; commands.done_line()"

# The lock alone decides what is installed: pip and setuptools first (requirements-build.lock, with hashes),
# then the whole resolved environment of requirements.lock with --no-deps (nothing resolved against the
# index, as pip-sync does), then the package itself without build isolation or index, and `pip check`
# confirms the set is consistent. Progress bars only on a terminal; one line per step otherwise.
PIP      := $(BIN)/python -m pip --disable-pip-version-check
PIPQUIET := --quiet --progress-bar $(shell [ -t 1 ] && echo on || echo off)
# A machine's pip configuration may name local indexes that do not exist (a warning per package), and the
# build backend warns that an install is editable: neither is news to a user, both are dropped.
QUIETEN  := 2>&1 | { grep -vE "^WARNING: Location '.*' is ignored: it is neither a file nor a directory" || true; }
$(STAMP): pyproject.toml requirements.lock requirements-build.lock
	@echo "setup: .venv with $$($(PYTHON) --version)"
	@$(PYTHON) -m venv $(VENV)
	@echo "setup: pip and setuptools from requirements-build.lock"
	@$(PIP) install $(PIPQUIET) --require-hashes --no-deps -r requirements-build.lock $(QUIETEN)
	@echo "setup: $$(grep -c '^[A-Za-z0-9]' requirements.lock) packages from requirements.lock"
	@$(PIP) install $(PIPQUIET) --require-hashes --no-deps -r requirements.lock $(QUIETEN)
	@echo "setup: smartcity-utils (editable)"
	@PYTHONWARNINGS=ignore $(PIP) install $(PIPQUIET) --no-deps --no-index --no-build-isolation -e . $(QUIETEN)
	@$(PIP) check >/dev/null || { $(PIP) check; exit 1; }
	@echo "setup: done ($$($(PIP) --version | cut -d' ' -f1-2), pip check passed)"
	@touch $(STAMP)

setup: $(STAMP)              ## create .venv and install the locked dependencies

lock: setup                  ## resolve pyproject.toml's pins again into requirements.lock (after changing a pin)
	$(BIN)/python -m pip install --quiet pip-tools==7.6.2
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml

run: setup
	$(BIN)/smartcity run

# Indonesian last: reports/index.html speaks the language of the last run.
focus: setup                 ## focus regencies in both languages with PDFs, and their comparison report
	$(BIN)/smartcity focus --quiet $(FOCUS)

screenshots: setup           ## check Paser's reports in Chromium; first screen of each under reports/
	@if [ -x $(CHROMIUM) ] || command -v chromium >/dev/null; then \
	  $(BIN)/python -m smartcity_utils.report.browser reports/kabupaten-paser.id.html reports/kabupaten-paser.en.html; \
	else rm -f reports/screenshot-*.png; \
	  echo "chromium not found: no browser check or screenshots (make chromium, or make test, installs it)"; fi

chromium:                    ## install Debian's chromium (non-interactive) when it is missing
	@[ -x $(CHROMIUM) ] || { DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; } || \
	  echo "could not install chromium: the browser test will fail"

clean-data: setup            ## data/raw -> data/processed only
	$(BIN)/smartcity clean

test: setup chromium         ## the full test suite, the browser test included (it fails without chromium)
	SMARTCITY_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q

test-fast: setup             ## the edit loop: every test but the slow (notebooks, whole pipeline) and browser ones
	$(BIN)/python -m pytest -q -m "not slow and not browser"

lint: setup                  ## ruff on the package, the simulator, the tests and the benchmarks
	$(BIN)/python -m ruff check smartcity_utils smartcity_simulator tests benchmarks

benchmark: setup             ## speed figures (printed, never asserted)
	$(BIN)/python benchmarks/bench_clean.py
	$(BIN)/python benchmarks/bench_rank_uncertainty.py
	$(BIN)/python benchmarks/bench_reports.py
	$(BIN)/python benchmarks/bench_hostile_files.py
	$(BIN)/python benchmarks/bench_pipeline.py

simulate: setup              ## rewrite the bundled simulated raw data (deterministic)
	$(BIN)/python -m smartcity_simulator --out data/example/raw

lab: setup                   ## explore in JupyterLab
	$(BIN)/jupyter lab notebooks/
