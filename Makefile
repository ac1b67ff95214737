# Two commands do all the set-up on a fresh machine that has python3:
#   make demo   grade the bundled example submissions (tables on screen, JSON in out/demo/)
#   make test   lint, type-check and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-stamp
DEV     := $(VENV)/.dev-stamp
ASSIGNMENT ?= hw2

.PHONY: install compile demo test lint typecheck validate bench clean

# The grader and what it needs to grade (all that `make demo` uses).
$(RUNTIME): pyproject.toml scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(RUNTIME)

# Plus the tools of `make test`: pytest, ruff, mypy, jsonschema, gradescope-utils, dask, scipy.
$(DEV): $(RUNTIME)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(DEV)

install: $(DEV)

# Byte-code for the grader and the references: PYTHONDONTWRITEBYTECODE may be set, and each
# grading process would otherwise compile them again (a cold `grader grade` pays for it).
compile: $(RUNTIME)
	@$(BIN)/python -m compileall -q grader reference

demo: compile
	@mkdir -p out/demo
	@for f in submissions_example/$(ASSIGNMENT)/*.py; do \
		name=$$(basename $$f .py); \
		$(BIN)/grader grade $$f --assignment $(ASSIGNMENT) --json out/demo/$$name.json || exit $$?; \
		echo; \
	done
	@echo "Results JSON written to out/demo/"

lint: install
	$(BIN)/ruff check grader

typecheck: install
	$(BIN)/mypy grader

validate: install
	$(BIN)/grader validate --assignment $(ASSIGNMENT)

test: lint typecheck compile
	bash scripts/install-test-deps.sh
	$(BIN)/python -m pytest

# Speed against gradescope-utils, pytest and otter-grader (about 25 minutes; --quick for a smoke run).
bench: install compile
	$(PYTHON) benchmarks/compare_graders.py

clean:
	rm -rf $(VENV) out build *.egg-info .pytest_cache .mypy_cache .ruff_cache autograder.zip hw2-kit
