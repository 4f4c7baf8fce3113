# wlsim: set-up and everyday commands. `make demo` and `make test` create .venv themselves.

VENV := .venv
BIN := $(VENV)/bin
# The first Python 3.12+ found: pyenv's (selected by .python-version), then the PATH.
PYTHON ?= $(shell for p in "$$(pyenv which python 2>/dev/null)" python3.13 python3.12 python3 python; do \
	command -v "$$p" >/dev/null 2>&1 && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v "$$p"; break; }; done)

# Test workers for make test: "auto" is one per core; PYTEST_WORKERS=0 runs the suite serially.
PYTEST_WORKERS ?= auto

.PHONY: demo check test lint format bench bench-dashboard docs validation calibrate golden clean help

help:
	@echo "make demo       - install wlsim in .venv and run the flagship comparison"
	@echo "make check      - lint and the fast tests (about a minute): the edit-test loop"
	@echo "make test       - install wlsim with its dev extras in .venv, lint, run every test"
	@echo "                  on every core (PYTEST_WORKERS=0: serially); what CI runs"
	@echo "make lint       - ruff check and format check, mypy on sim/, the import layers"
	@echo "make format     - format the code and apply ruff's safe fixes"
	@echo "make bench      - speed benchmarks (see docs/performance.md)"
	@echo "make bench-dashboard - the dashboard's cold start, step + redraw, server memory"
	@echo "make docs       - regenerate docs/parameters.md and docs/calibration.md from the code"
	@echo "make validation - rerun the validation patterns, the mechanism matrix and the designs' effect sizes (docs/validation.md, docs/calibration.md)"
	@echo "make calibrate  - refit the evidence calibration (calibration/evidence/; about 10 min on 2 cores)"
	@echo "make golden     - regenerate the golden baseline (tests/golden/) and print what changed"
	@echo "make clean      - remove .venv, results and the tool caches"

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

# The tests marked slow (tests/conftest.py) are left out; make test runs them.
check: lint
	$(BIN)/python -m pytest -q -m "not slow" -n $(PYTEST_WORKERS) --dist loadfile

# Each test file runs on one worker (tests/conftest.py says why).
test: lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

# mypy's level and exceptions: [tool.mypy] in pyproject.toml. lint-imports checks the layer
# contracts ([tool.importlinter] in pyproject.toml; docs/architecture.md).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_step.py

# Needs the viz extra, and /usr/bin/chromium with Playwright for cold start and memory.
bench-dashboard: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_dashboard.py

docs: $(VENV)/.installed
	$(BIN)/python -m sim.app.docgen docs/parameters.md
	$(BIN)/python -m sim.app.docgen --calibration docs/calibration.md

# Every pattern and the mechanism x pattern matrix (about 10 minutes on 2 cores); wlsim
# exits 1 when a pattern is not reproduced, which the report states, so only 2 (bad
# input) or worse stops make.
validation: $(VENV)/.installed
	$(BIN)/wlsim patterns --report docs --matrix || [ $$? -eq 1 ]
	$(BIN)/python -m sim.experiments.evidence docs/calibration.md

# The evidence calibration behind the defaults (docs/calibration.md, "The evidence
# calibration"); CALIBRATE_WORKERS sets the worker processes (the result is the same).
CALIBRATE_WORKERS ?= 2
calibrate: $(VENV)/.installed-dev
	$(BIN)/wlsim calibrate scenarios/calibration/evidence.toml --out calibration/evidence \
		--workers $(CALIBRATE_WORKERS) --overwrite

golden: $(VENV)/.installed
	$(BIN)/python tests/golden/baseline.py --update

# Also Python's and numba's caches of compiled code (sim/__pycache__/kernels/ among them).
clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache .mypy_cache
	find sim tests benchmarks -name __pycache__ -type d -prune -exec rm -rf {} +
