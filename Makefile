# The course's commands. A newcomer needs two: `make lab` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
LAB_PORT ?= 8888
LAB_ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PYTEST_WORKERS ?= 2
NB ?=

# Quieter TensorFlow (its oneDNN notice still appears; see README, Troubleshooting).
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONHASHSEED ?= 0

NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
	--nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: help venv lab release test test-fast test-notebooks test-browser notebooks notebooks-normalize images bench lint clean

help:
	@echo "make lab            set up .venv (first time only) and open JupyterLab on the course"
	@echo "make test           the whole suite: ruff, unit tests, doctests, every notebook (nbval), browser tests"
	@echo "make test-fast      ruff, unit tests and doctests only"
	@echo "make test-browser   drive the explorers in JupyterLab with headless Chromium"
	@echo "make notebooks      execute solutions/ and regenerate the student edition notebooks/ (NB=03 for one)"
	@echo "make release        an nbgrader course folder in build/nbgrader (instructors)"
	@echo "make images         redraw the figures in images/"
	@echo "make bench          run the speed benchmarks"

# Install only when requirements.txt or pyproject.toml changed (the stamp is newer otherwise).
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements.txt
	@touch $@

venv: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --port=$(LAB_PORT) --ServerApp.root_dir=. $(ROOT_FLAG) $(LAB_ARGS) \
		notebooks/00_start_here.ipynb

lint: $(STAMP)
	$(BIN)/ruff check helpers tests tools benchmarks

test: lint
	$(BIN)/python tools/notebooks.py check
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope -rs \
		tests helpers --doctest-modules solutions $(NBVAL)

test-fast: lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope -rs tests helpers --doctest-modules \
		--ignore=tests/browser

test-notebooks: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope solutions $(NBVAL)

test-browser: $(STAMP)
	$(BIN)/python -m pytest -rs tests/browser

# Execute solutions/ and regenerate the student edition notebooks/. A student notebook changed since it was
# generated (your work) is kept unless FORCE=1.
notebooks: $(STAMP)
	$(BIN)/python tools/notebooks.py execute $(NB) $(if $(FORCE),--force,)

notebooks-normalize: $(STAMP)
	$(BIN)/python tools/notebooks.py generate $(NB) $(if $(FORCE),--force,)

# An nbgrader course folder in build/nbgrader (source/ from solutions/, release/ by generate_assignment).
# Needs the instructor requirements: `make instructor`.
RELEASE_DIR ?= build/nbgrader
release: $(STAMP)
	@$(BIN)/python -c "import nbgrader" 2>/dev/null || { echo "nbgrader is missing: run 'make instructor' first"; exit 1; }
	$(BIN)/python tools/notebooks.py release $(RELEASE_DIR) $(NB)

images: $(STAMP)
	$(BIN)/python tools/make_images.py

bench: $(STAMP)
	$(BIN)/python benchmarks/conv_speed.py
	$(BIN)/python benchmarks/explorer_latency.py
	$(BIN)/python benchmarks/notebook_times.py

clean:
	rm -rf $(VENV) .pytest_cache
