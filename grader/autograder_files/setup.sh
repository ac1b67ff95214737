#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (its Ubuntu base image).
# Written by `grader gradescope build` for @@ASSIGNMENT@@; see docs/gradescope.md. It installs exactly
# what grading needs, and fails the build (so Gradescope shows it) if anything is wrong:
#   1. Python @@PYTHON_VERSION@@ (a final release), the version the pinned packages were tested with:
#      from Ubuntu's archive, else (absent, or only a release candidate) from the deadsnakes PPA;
#   2. the sandbox's system packages, by the project's own scripts/install-system-deps.sh;
#   3. a virtual environment holding the pins of requirements.txt and nothing else (--no-deps),
#      with the grader's source (this folder's grader/) on its path;
#   4. a self-test: the reference solution must pass every check in the finished image.
# To try it outside Gradescope: GRADER_PYTHON (an interpreter to use instead of installing one),
# GRADER_VENV (default @@VENV@@), GRADER_AUTOGRADER_ROOT (default /autograder).
set -euo pipefail

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
VENV="${GRADER_VENV:-@@VENV@@}"
PYTHON_VERSION="@@PYTHON_VERSION@@"
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

usable() {  # a final release of the right version that can make a virtual environment
    # A release candidate is not enough: Ubuntu 22.04's python3.11 package is 3.11.0rc1, whose
    # byte-code and C API may differ from the final release's that the pinned wheels are built for.
    command -v "$1" >/dev/null 2>&1 &&
        [ "$("$1" -c 'import sys; v = sys.version_info; print("%d.%d %s" % (v[0], v[1], v.releaselevel))' \
              2>/dev/null)" = "$PYTHON_VERSION final" ] &&
        "$1" -c 'import ensurepip, venv' >/dev/null 2>&1
}

# 1. Python
echo "setup.sh: 1. Python $PYTHON_VERSION"
PYTHON="${GRADER_PYTHON:-python$PYTHON_VERSION}"
if ! usable "$PYTHON"; then
    if [ -n "${GRADER_PYTHON:-}" ]; then
        echo "setup.sh: GRADER_PYTHON=$GRADER_PYTHON is not a final Python $PYTHON_VERSION release with venv" >&2
        exit 1
    fi
    apt-get update
    apt-get install -y --no-install-recommends "python$PYTHON_VERSION" "python$PYTHON_VERSION-venv" || true
    if ! usable "$PYTHON"; then  # not in Ubuntu's archive, or only as a pre-release: deadsnakes' final one
        echo "setup.sh: Ubuntu's python$PYTHON_VERSION is missing or a pre-release; using the deadsnakes PPA"
        apt-get install -y --no-install-recommends software-properties-common
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update
        apt-get install -y --no-install-recommends "python$PYTHON_VERSION" "python$PYTHON_VERSION-venv"
    fi
    usable "$PYTHON" || { echo "setup.sh: could not install a final Python $PYTHON_VERSION" >&2; exit 1; }
fi

# 2. The sandbox's system packages: the same script `make install` runs.
echo "setup.sh: 2. the sandbox's system packages (scripts/install-system-deps.sh)"
bash "$SOURCE/scripts/install-system-deps.sh"

# 3. The grader's environment: exactly the pinned packages, and the grader's source on its path.
echo "setup.sh: 3. the grader's environment in $VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --no-deps --only-binary=:all: --requirement "$SOURCE/requirements.txt"
"$VENV/bin/python" -m pip check
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
printf '%s\n' "$SOURCE" > "$SITE/numgrader.pth"
# Byte-code once, here: every submission's grader then starts without compiling its modules.
"$VENV/bin/python" -m compileall -q "$SOURCE/grader" "$SOURCE/reference"
# The answer key (reference, rubric, their byte-code) by mode alone out of the sandbox uid's reach:
# in a container without Landlock this is what keeps it unread (docs/threat-model.md). Root, which
# grades, still reads it; `grader gradescope run` makes sure again before every submission.
chmod -R go= "$SOURCE"

# 4. The finished image grades the reference solution.
echo "setup.sh: 4. self-test"
"$VENV/bin/python" -m grader gradescope selftest --root "$ROOT" --assignment @@ASSIGNMENT@@ @@BUDGET_OPTIONS@@
