#!/usr/bin/env bash
# System packages the sandbox needs, installed by the project's own set-up (make, CI, Gradescope's setup.sh).
# Safe to run repeatedly: quiet, installs only what is missing, runs `apt-get update` only when it must,
# and does nothing without root or apt (then the sandbox degrades and says so; see docs/threat-model.md).
#
# Today the list is empty on purpose: the sandbox (grader/sandbox/, applied in the child) talks to the kernel
# directly through ctypes (namespaces, mount, pivot_root, seccomp as raw BPF, Landlock), so it needs
# nothing beyond the C library every Python already has. Add a Debian package name here if that changes.
set -euo pipefail

PACKAGES=()

[ "${#PACKAGES[@]}" -eq 0 ] && exit 0
command -v apt-get >/dev/null 2>&1 || exit 0
command -v dpkg-query >/dev/null 2>&1 || exit 0
[ "$(id -u)" -eq 0 ] || exit 0

missing=()
for package in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

export DEBIAN_FRONTEND=noninteractive
# Package lists are needed only when apt does not know a missing package yet (a fresh image has none).
for package in "${missing[@]}"; do
    if ! apt-cache show "$package" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null
        break
    fi
done
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
