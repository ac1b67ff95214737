#!/usr/bin/env bash
# System packages the sandbox needs, installed by the project's own set-up (make, CI, Gradescope's setup.sh).
# Safe to run repeatedly; does nothing when there is nothing to install or no root to install it with.
set -euo pipefail
exit 0
