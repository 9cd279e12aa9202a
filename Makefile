# The course's commands. A newcomer needs two: `make lab` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
# A second environment beside the first: make test-fast VENV=.venv-py3112 PYTHON=/usr/bin/python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
INSTRUCTOR_STAMP := $(VENV)/.instructor-installed
# The installer: uv when it is on PATH (about 25 s instead of 63 s), pip otherwise; INSTALLER=pip forces pip.
UV ?= $(shell command -v uv 2>/dev/null)
INSTALLER ?= $(if $(UV),uv,pip)
UV_VERSION := 0.13.9
LAB_PORT ?= 8888
LAB_ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PYTEST_WORKERS ?= 2
NB ?=

# Quieter TensorFlow (its oneDNN notice still appears; see README, Troubleshooting).
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONHASHSEED ?= 0

# The slowest notebook cell takes about 40 s; pytest-timeout (pyproject.toml) bounds every test, and a crashed
# xdist worker fails the run instead of being replaced (--max-worker-restart=0).
NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=240 \
	--nbval-sanitize-with tests/nbval_sanitize.cfg
XDIST := -n $(PYTEST_WORKERS) --dist loadscope --max-worker-restart=0

.PHONY: help check-python release venv instructor lock lab test test-fast test-second test-notebooks test-browser notebooks notebooks-normalize images bench lint clean

help:
	@echo "make lab            set up .venv (first time only) and open JupyterLab on the course"
	@echo "make test           the whole suite: ruff, unit tests, doctests, every notebook (nbval), browser tests"
	@echo "make test-fast      ruff, unit tests and doctests only"
	@echo "make test-browser   drive the explorers in JupyterLab with headless Chromium"
	@echo "make notebooks      execute solutions/ and regenerate the student edition notebooks/ (NB=03 for one)"
	@echo "make release        an nbgrader course folder in build/nbgrader (instructors)"
	@echo "make images         redraw the figures in images/"
	@echo "make bench          run the speed benchmarks"
	@echo "make lock           recompile requirements.in into the universal lock requirements.txt (uv)"
	@echo "make instructor     add requirements-instructor.txt (nbgrader, JupyterHub, nbgitpuller) to .venv"

# One line instead of a resolver error when the interpreter cannot run the course (Python 3.10-3.13).
CHECK_PYTHON = { command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.10-3.13 \
	(3.12 is a good choice) and run: make lab PYTHON=python3.12"; exit 1; }; $(PYTHON) tools/check_python.py; }
check-python:
	@$(CHECK_PYTHON)

# Install only when requirements.txt or pyproject.toml changed (the stamp is newer otherwise).
$(STAMP): requirements.txt pyproject.toml tools/jupyterlab-overrides.json tools/jupyter-server-config.json
	@test -x $(BIN)/python || { $(CHECK_PYTHON) && $(PYTHON) -m venv $(VENV); }
	@$(BIN)/python tools/check_python.py
ifeq ($(INSTALLER),uv)
	$(UV) pip install --quiet --python $(BIN)/python -r requirements.txt
else
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements.txt
endif
	@# a quiet JupyterLab: no "notified about official Jupyter news?" prompt over the first lesson
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@cp tools/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@# photos up to 100 MB reach the explorers' upload button (Tornado drops websocket messages over 10 MiB)
	@# (the environment's own jupyter_server_config.json: jupyter_server_config.d only enables extensions)
	@mkdir -p $(VENV)/etc/jupyter
	@cp tools/jupyter-server-config.json $(VENV)/etc/jupyter/jupyter_server_config.json
	@touch $@

venv: $(STAMP)

# The instructor's tools on top of the course (a superset lock of requirements.txt); never in students' envs.
$(INSTRUCTOR_STAMP): requirements-instructor.txt $(STAMP)
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "the instructor tools need Python 3.11-3.13 (nbgrader 0.9.6 does not install on 3.10)"; exit 1; }
ifeq ($(INSTALLER),uv)
	$(UV) pip install --quiet --python $(BIN)/python -r requirements-instructor.txt
else
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements-instructor.txt
endif
	@touch $@

instructor: $(INSTRUCTOR_STAMP)

# Recompile the locks from requirements.in / requirements-instructor.in (keeps the pins that still fit).
LOCK_UV = $(or $(UV),$(BIN)/uv)
LOCK_FLAGS = pip compile --quiet --universal --custom-compile-command "make lock"
lock: requirements.in requirements-instructor.in
	@test -n "$(UV)" || test -x $(BIN)/uv || { test -x $(BIN)/python || $(MAKE) --no-print-directory venv; \
		$(BIN)/python -m pip install --disable-pip-version-check --quiet uv==$(UV_VERSION); }
	UV_PYTHON_DOWNLOADS=never $(LOCK_UV) $(LOCK_FLAGS) --python-version 3.10 requirements.in -o requirements.txt
	@# nbgrader 0.9.6 needs Python 3.11+; the constraints (the student lock less its -e line) keep every shared pin
	c=$$(mktemp) && grep -v '^-e ' requirements.txt > $$c && \
		UV_PYTHON_DOWNLOADS=never $(LOCK_UV) $(LOCK_FLAGS) --python-version 3.11 --no-annotate \
		requirements-instructor.in -c $$c -o requirements-instructor.txt; s=$$?; rm -f $$c; exit $$s

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --port=$(LAB_PORT) --ServerApp.root_dir=. $(ROOT_FLAG) $(LAB_ARGS) \
		notebooks/00_start_here.ipynb

lint: $(STAMP)
	$(BIN)/ruff check helpers tests tools benchmarks

test: lint
	$(BIN)/python tools/notebooks.py check
	$(BIN)/python -m pytest $(XDIST) -rs \
		tests helpers --doctest-modules solutions $(NBVAL)

test-fast: lint
	$(BIN)/python -m pytest $(XDIST) -rs tests helpers --doctest-modules \
		--ignore=tests/browser --ignore=tests/hub

# A second interpreter beside .venv (CI: Debian 12's /usr/bin/python3.11, VENV=.venv-py3112): everything `make test`
# runs on the Python side (unit tests, doctests, every lesson under nbval); the browser, hub and lock-resolution
# tests drive JupyterLab, the hub and the package index, which the main run covers (`make test VENV=... PYTHON=...`
# runs those too). SECOND_NOTEBOOKS="solutions/00_start_here.ipynb" for a quick try.
SECOND_NOTEBOOKS ?= solutions
test-second: lint
	$(BIN)/python -c 'import helpers, sys; print("helpers", helpers.__version__, "on Python", sys.version.split()[0])'
	$(BIN)/python -m pytest $(XDIST) -rs tests helpers --doctest-modules $(SECOND_NOTEBOOKS) $(NBVAL) \
		--ignore=tests/browser --ignore=tests/hub --ignore=tests/test_lock.py

test-notebooks: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) solutions $(NBVAL)

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
release: $(INSTRUCTOR_STAMP)
	$(BIN)/python tools/notebooks.py release $(RELEASE_DIR) $(NB)

images: $(STAMP)
	$(BIN)/python tools/make_images.py

bench: $(STAMP)
	$(BIN)/python benchmarks/conv_speed.py
	$(BIN)/python benchmarks/explorer_latency.py
	$(BIN)/python benchmarks/notebook_times.py

clean:
	rm -rf $(VENV) .pytest_cache
