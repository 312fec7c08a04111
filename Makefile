# Self-documenting Makefile: `make help` lists the targets.
# The first target that needs the environment creates it (.venv, Python 3.12). Three pinned sets,
# each a superset of the one before: requirements-runtime.lock.txt (what the pipeline runs: make repro),
# requirements-dev.lock.txt (adds the test and notebook tools: make test) and
# requirements-bench.lock.txt (adds the JAX extra: make bench). One environment holds one set at
# a time; a larger set serves the targets of a smaller one.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.8
LOCK_COMMAND := make lock

# DVC stages call `musicmarkets`; make the environment's tools visible to them.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)

.DEFAULT_GOAL := help
.PHONY: help env env-dev env-bench repro plots test test-fast test-all lint format lab bench bench-gates lock clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

# $(call installed,SET): the lock file SET was synced into .venv and nothing changed since
installed = $(shell test -f $(VENV)/.installed-$(1) && test $(VENV)/.installed-$(1) -nt pyproject.toml \
	&& test $(VENV)/.installed-$(1) -nt requirements-$(1).lock.txt && echo yes)

# sync .venv to one lock file (exactly: packages of another set are removed), then the project
define sync
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python >= 3.12 is needed (.python-version names 3.12.1); set PYTHON=/path/to/python3.12")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python $(2)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m musicmarkets.dvcplots  # the offline page `dvc plots show` renders into
	rm -f $(VENV)/.installed-*
	touch $(VENV)/.installed-$(1)
endef

env: ## create or update the virtual environment (.venv) with what the pipeline runs
ifeq ($(or $(call installed,runtime),$(call installed,dev),$(call installed,bench)),)
	$(call sync,runtime,requirements-runtime.lock.txt)
endif

env-dev: ## the environment plus the test and notebook tools (pytest, JupyterLab, Spark, ...)
ifeq ($(or $(call installed,dev),$(call installed,bench)),)
	$(call sync,dev,requirements-dev.lock.txt)
endif

env-bench: ## the environment plus the test tools and the JAX extra (benchmarks)
ifeq ($(call installed,bench),)
	$(call sync,bench,requirements-bench.lock.txt)
endif

repro: env ## run the whole pipeline on the embedded data (dvc repro)
	$(BIN)/dvc repro
	@$(BIN)/musicmarkets status || true

plots: env ## draw the key series with `dvc plots show` into dvc_plots/index.html (offline)
	$(BIN)/python -m musicmarkets.dvcplots
	$(BIN)/dvc plots show -o dvc_plots

# One worker per core; a test file stays on one worker (the pipeline tests share one small run).
# One worker more than the cores: the pipeline checks are mostly single-threaded (kernel starts,
# imports, compilation), so a third worker on 2 cores keeps both busy. A test file stays on one
# worker (loadfile); files start in the order of pyproject's testpaths, the pipeline files first.
WORKERS := $(shell $(PYTHON) -c "import os; print((os.cpu_count() or 1) + 1)")
XDIST := -n $(WORKERS) --dist loadfile --no-loadscope-reorder

test: env-dev ## the CI suite: unit, notebook contracts, services, one small pipeline run and its checks
	$(BIN)/python -m pytest -m "not statistical and not heavy" $(XDIST)

test-fast: env-dev ## unit tests and notebook contracts only (no services, no sampling runs)
	$(BIN)/python -m pytest tests/unit tests/notebooks -m "not slow and not statistical" $(XDIST)

test-all: env-dev ## everything: adds the statistical tier and the pipeline checks that re-run it in full
	$(BIN)/python -m pytest $(XDIST)

lint: env-dev ## ruff lint and format check; the benchmark figures page matches the results
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/ruff format --check src tests benchmarks notebooks
	$(BIN)/python benchmarks/figures.py --check  # docs/benchmark-figures.md matches benchmarks/results/

format: env-dev ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix src tests benchmarks notebooks
	$(BIN)/ruff format src tests benchmarks notebooks

LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

lab: env-dev ## open the notebooks in JupyterLab with the project's kernel
	@mkdir -p $(dir $(LAB_OVERRIDES))
	@# open the percent-format scripts in notebooks/ as notebooks by default
	@echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}}}' > $(LAB_OVERRIDES)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

bench: env-bench ## run the benchmarks (figures land in benchmarks/results/; the bench set adds the jax extra)
	$(BIN)/python benchmarks/bench_pipeline.py
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_samplers.py
	$(BIN)/python benchmarks/bench_events.py
	$(BIN)/python benchmarks/bench_scale_models.py
	$(BIN)/python benchmarks/figures.py  # docs/benchmark-figures.md from the results

bench-gates: env ## the production gates for 4 more seeds (fit, shares, backtest: hours on 2 cores)
	$(BIN)/python benchmarks/bench_gates.py
	$(BIN)/python benchmarks/bench_recent_windows.py  # needs the pipeline's share models
	$(BIN)/python benchmarks/bench_gap_years.py  # markets with a gap of years (2023 DE/US added)
	$(BIN)/python benchmarks/figures.py

lock: env ## re-resolve the three lock files from pyproject.toml (the runtime and bench sets keep the dev set's versions)
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o requirements-dev.lock.txt
	grep -E '^[A-Za-z0-9_.-]+(\[[^]]*\])?==' requirements-dev.lock.txt | sed 's/ \\$$//' > $(VENV)/pins.txt
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -c $(VENV)/pins.txt -o requirements-runtime.lock.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra jax $(LOCK_FLAGS) -c $(VENV)/pins.txt \
		-o requirements-bench.lock.txt

LOCK_FLAGS := --python-version 3.12 --python-platform x86_64-manylinux_2_28 --generate-hashes \
	--custom-compile-command "$(LOCK_COMMAND)" --quiet

clean: ## remove the environment and the caches (keeps data and DVC cache)
	rm -rf $(VENV) .pytest_cache .ruff_cache
