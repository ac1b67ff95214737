#!/bin/sh
# The student kit on every Python it claims: for each interpreter given (default: python3.10 ...
# python3.13 on PATH), a fresh venv gets the kit's wheel and the course's packages, then
# `grader check` runs the bundled correct example, sandboxed and in the portable mode.
# Usage: scripts/check-pythons.sh [python ...]   (needs the package index for numpy & co.)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /root/numgrader-pythons.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/.venv/bin/grader" student-kit --assignment hw2 --out "$work/kit" >/dev/null
wheel=$(ls "$work"/kit/numgrader-*.whl)
[ $# -gt 0 ] || set -- python3.10 python3.11 python3.12 python3.13
for python in "$@"; do
    version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || { echo "$python: not found"; continue; }
    "$python" -m venv "$work/venv-$version"
    "$work/venv-$version/bin/pip" install -q "$wheel" numpy scipy matplotlib >"$work/pip-$version.log" 2>&1 \
        || { echo "Python $version: install failed (see the pip log)"; tail -3 "$work/pip-$version.log"; continue; }
    cp "$root/submissions_example/hw2/correct.py" "$work/kit/hw2.py"
    for mode in 0 1; do
        out=$(cd "$work/kit" && NUMGRADER_PORTABLE=$mode "$work/venv-$version/bin/grader" check hw2.py 2>&1 | grep "visible checks pass" || true)
        echo "Python $version, portable=$mode: ${out:-FAILED}"
    done
done
