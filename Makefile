# Two entry points, each doing its own set-up in a local virtualenv (.venv):
#   make tour   installs the library and runs the tour (the library's main job)
#   make test   installs the library with its test and docs extras, checks formatting and
#               lint (ruff), runs the whole test suite, then builds the docs with
#               warnings as errors
# Only a Python >= 3.10 interpreter with venv (and make) is assumed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is an optional extra. On these machines `pip install torch==2.13.0` takes the CPU
# build lying on disk; a bare `torch` requirement would resolve to a multi-GB CUDA build,
# so the pinned CPU build is installed first, before any extra that mentions torch.
TORCH_PIN ?= torch==2.13.0
# pytest workers for `make test` (pytest-xdist; one file per worker at a time)
TEST_WORKERS ?= 2
PIP := $(BIN)/python -m pip install --disable-pip-version-check -q
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba_cache

.PHONY: tour test pytest lint format docs bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 required, found " + sys.version'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.tour-installed: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(PIP) "$(TORCH_PIN)"
	$(PIP) -e ".[test,docs,bench,ray]"
	touch $@ $(VENV)/.tour-installed

tour: $(VENV)/.tour-installed
	$(BIN)/python tour.py

test: $(VENV)/.test-installed lint
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

lint: $(VENV)/.test-installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(VENV)/.test-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

pytest: $(VENV)/.test-installed
	$(BIN)/python -m pytest $(ARGS)

docs: $(VENV)/.test-installed
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

# every benchmark in quick mode (smaller instances, 3 repeats); run one module without
# --quick for the full sizes, e.g. .venv/bin/python -m benchmarks.bench_planning
BENCHMARKS := bench_policy_evaluation bench_planning bench_sweeps bench_effective_horizon \
	bench_bandits bench_cascading bench_whittle bench_stopping bench_hedging bench_deep bench_exploration \
	bench_threads membw

bench: $(VENV)/.test-installed
	@failed=""; for b in $(BENCHMARKS); do echo "== benchmarks.$$b --quick"; \
		$(BIN)/python -m benchmarks.$$b --quick || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "benchmarks with a failed comparison:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) .numba_cache docs/_build docs/auto_tutorials docs/api/generated .pytest_cache .hypothesis
