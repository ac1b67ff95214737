#!/usr/bin/env bash
# System packages only the tests need (not grading), installed by `make test`.
# Safe to run repeatedly; a no-op when everything is there or when not root.
#   chromium   renders report.html headless for the batch report's screenshot test
#              (tests/batch/test_batch.py skips that test when chromium is missing).
set -euo pipefail

packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)

if [ ${#packages[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: not root or no apt-get; not installing ${packages[*]} (the tests that need it are skipped)" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when apt does not know the package yet.
if ! apt-cache show "${packages[@]}" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
fi
apt-get install -y -qq --no-install-recommends "${packages[@]}" fonts-dejavu-core >/dev/null
