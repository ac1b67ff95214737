# Two commands do all the set-up on a fresh machine that has python3:
#   make demo   grade the bundled example submissions (tables on screen, JSON in out/demo/)
#   make test   lint, type-check and run the test suite
#   (make test-fast: only the tests that start no child process, in under a minute)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-stamp
DEV     := $(VENV)/.dev-stamp
ASSIGNMENT ?= hw2

.PHONY: install compile demo test test-fast test-container lint typecheck validate bench clean

# The grader and what it needs to grade (all that `make demo` uses).
# Each rubric's student environment (environment.packages) too: what submissions may import.
$(RUNTIME): pyproject.toml scripts/install-system-deps.sh scripts/install-environments.py $(wildcard rubrics/*.yaml)
	bash scripts/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -e .
	$(BIN)/python scripts/install-environments.py --no-compile
	@# pip byte-compiles one file at a time, test suites too (half of a fresh `make demo`): here on
	@# every core, without the packages' own tests. A sandboxed child cannot write byte-code itself.
	$(BIN)/python -m compileall -q -j0 -x '/tests?/' \
		"$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" > /dev/null
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
	@# The one summary line: each example's score against what its expected.yaml declares.
	@$(BIN)/python -c 'import json, sys, yaml; from pathlib import Path; \
		manifest = Path("submissions_example", sys.argv[1], "expected.yaml"); \
		declared = {n: e["score"] for n, e in yaml.safe_load(manifest.read_text()).items()}; \
		got = {n: json.loads(Path("out/demo", Path(n).stem + ".json").read_text())["score"] for n in declared}; \
		off = ["{} scored {:g}, declared {:g}".format(n, got[n], d) for n, d in declared.items() if abs(got[n] - d) > 1e-6]; \
		print("demo: {} of {} examples scored what {} declares{}".format( \
			len(declared) - len(off), len(declared), manifest, "".join("; " + o for o in off))); \
		sys.exit(1 if off else 0)' $(ASSIGNMENT)

lint: install
	$(BIN)/ruff check grader

typecheck: install
	$(BIN)/mypy grader

validate: install
	$(BIN)/grader validate --assignment $(ASSIGNMENT)

test: lint typecheck compile
	bash scripts/install-test-deps.sh
	$(BIN)/python -m pytest
	@$(MAKE) --no-print-directory test-container

# The pure logic only (rubric, comparators, wire, results, contracts, ...): no sandbox, no
# zygote, no subprocess (tests marked `child` are left out; see pyproject.toml).
test-fast: install
	$(BIN)/python -m pytest -m "not child"

# The HW2 examples and the hostile suites as Gradescope's Docker container runs them
# (tests/docker_like.py: Docker's capabilities and seccomp profile, read-only cgroups, 768 MB),
# with Landlock and without it. Needs root on Linux, as CI runs; elsewhere it says so and stops there.
CONTAINER_TESTS := tests/sandbox/test_hostile.py tests/sandbox/test_hostile_bounds.py
test-container: install
	@if [ "$$(id -u)" != 0 ] || [ "$$(uname)" != Linux ]; then \
		echo "test-container: needs root on Linux; skipped"; exit 0; fi; \
	for landlock in "" --no-landlock; do \
		echo "== as in Gradescope's container $${landlock:+(no Landlock)}"; \
		$(BIN)/python tests/docker_like.py $$landlock --memory-mb 768 -- $(BIN)/grader validate --assignment hw2 \
			|| exit $$?; \
		$(BIN)/python tests/docker_like.py $$landlock --memory-mb 768 -- \
			$(BIN)/python -m pytest -p no:cacheprovider -rs $(CONTAINER_TESTS) || exit $$?; \
	done

# Speed against gradescope-utils, pytest and otter-grader (about 25 minutes; --quick for a smoke run).
bench: install compile
	$(PYTHON) benchmarks/compare_graders.py

clean:
	rm -rf $(VENV) out build *.egg-info .pytest_cache .mypy_cache .ruff_cache autograder.zip hw2-kit
