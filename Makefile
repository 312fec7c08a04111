# Self-documenting Makefile: `make help` lists the targets.
# The first target that needs the environment creates it (.venv, Python 3.12, pinned by requirements.lock.txt).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP  := $(VENV)/.installed

# DVC stages call `musicmarkets`; make the environment's tools visible to them.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)

.DEFAULT_GOAL := help
.PHONY: help env repro plots test test-fast test-all lint format lab bench bench-gates lock clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python >= 3.12 is needed (.python-version names 3.12.1); set PYTHON=/path/to/python3.12")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m musicmarkets.dvcplots  # the offline page `dvc plots show` renders into
	touch $(STAMP)

env: $(STAMP) ## create or update the virtual environment (.venv)

repro: $(STAMP) ## run the whole pipeline on the embedded data (dvc repro)
	$(BIN)/dvc repro
	@$(BIN)/musicmarkets status || true

plots: $(STAMP) ## draw the key series with `dvc plots show` into dvc_plots/index.html (offline)
	$(BIN)/python -m musicmarkets.dvcplots
	$(BIN)/dvc plots show -o dvc_plots

# One worker per core; a test file stays on one worker (the pipeline tests share one small run).
XDIST := -n auto --dist loadfile

test: $(STAMP) ## the CI suite: unit, notebook contracts, services, one small pipeline run and its checks
	$(BIN)/python -m pytest -m "not statistical and not heavy" $(XDIST)

test-fast: $(STAMP) ## unit tests and notebook contracts only (no services, no sampling runs)
	$(BIN)/python -m pytest tests/unit tests/notebooks -m "not slow and not statistical" $(XDIST)

test-all: $(STAMP) ## everything: adds the statistical tier and the pipeline checks that re-run it in full
	$(BIN)/python -m pytest $(XDIST)

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/ruff format --check src tests benchmarks notebooks

format: $(STAMP) ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix src tests benchmarks notebooks
	$(BIN)/ruff format src tests benchmarks notebooks

LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

lab: $(STAMP) ## open the notebooks in JupyterLab with the project's kernel
	@mkdir -p $(dir $(LAB_OVERRIDES))
	@# open the percent-format scripts in notebooks/ as notebooks by default
	@echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}}}' > $(LAB_OVERRIDES)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP) ## run the benchmarks (figures land in benchmarks/results/; adds the jax extra)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e ".[jax]"
	$(BIN)/python benchmarks/bench_pipeline.py
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_samplers.py
	$(BIN)/python benchmarks/bench_events.py
	$(BIN)/python benchmarks/bench_scale_models.py

bench-gates: $(STAMP) ## the production gates for 4 more seeds (fit, shares, backtest: hours on 2 cores)
	$(BIN)/python benchmarks/bench_gates.py

lock: $(VENV) ## re-resolve requirements.lock.txt from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.12 \
		--python-platform x86_64-manylinux_2_28 --generate-hashes -o requirements.lock.txt

clean: ## remove the environment and the caches (keeps data and DVC cache)
	rm -rf $(VENV) .pytest_cache .ruff_cache
