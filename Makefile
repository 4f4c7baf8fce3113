# wlsim: set-up and everyday commands. `make demo` and `make test` create .venv themselves.

VENV := .venv
BIN := $(VENV)/bin
# The first Python 3.12+ found: pyenv's (selected by .python-version), then the PATH.
PYTHON ?= $(shell for p in "$$(pyenv which python 2>/dev/null)" python3.13 python3.12 python3 python; do \
	command -v "$$p" >/dev/null 2>&1 && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v "$$p"; break; }; done)

.PHONY: demo test lint format bench docs validation golden clean help

help:
	@echo "make demo   - install wlsim in .venv and run the flagship comparison"
	@echo "make test   - install wlsim with its dev extras in .venv and run every test"
	@echo "make lint   - ruff check and format check"
	@echo "make bench  - speed benchmarks (see docs/performance.md)"
	@echo "make docs   - regenerate docs/parameters.md from the code"
	@echo "make validation - rerun the validation experiments, regenerate docs/validation.md"
	@echo "make golden - regenerate the golden baseline (tests/golden/) and print what changed"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: wlsim needs Python 3.12 or newer and none was found."; \
		echo "Install Python 3.12+ (e.g. 'pyenv install 3.12') or run 'make PYTHON=/path/to/python3.12 ...'."; \
		exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/wlsim run scenarios/mentorship_vs_peer_coaching.toml --overwrite

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_step.py

docs: $(VENV)/.installed
	$(BIN)/python -m sim.app.docgen > docs/parameters.md
	$(BIN)/python -m sim.app.docgen --calibration

validation: $(VENV)/.installed
	$(BIN)/python -m sim.experiments.validation --out docs

golden: $(VENV)/.installed
	$(BIN)/python tests/golden/baseline.py --update

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache
