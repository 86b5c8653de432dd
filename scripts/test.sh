#!/usr/bin/env bash
# Install lrplan with its test dependencies into .venv, then run every check CI runs:
# ruff, mypy and the whole pytest suite (integration-marked tests included).
#
#   bash scripts/test.sh                 # what the README and .ci/run run
#   bash scripts/test.sh -k spec -x      # extra arguments go to pytest
#
# Environment: PYTHON (default python3) creates the venv; LRPLAN_VENV (default .venv)
# is where it lives. An existing venv is reused and brought up to date.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
VENV="${LRPLAN_VENV:-.venv}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

step() { printf '\n==> %s\n' "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
    step "creating $VENV with $("$PYTHON" --version 2>&1)"
    if ! "$PYTHON" -m venv "$VENV"; then
        # Debian-style Pythons without ensurepip: make the venv bare and let the
        # system pip install into it.
        rm -rf "$VENV"
        "$PYTHON" -m venv --without-pip "$VENV"
        "$PYTHON" -m pip --python "$VENV/bin/python" install --quiet pip
    fi
fi
PY="$VENV/bin/python"

# torch first, pinned by constraints.txt, so that resolving lrplan's other
# dependencies can never pull a newer torch (and its CUDA packages) instead.
if ! "$PY" -c "import torch" 2>/dev/null; then
    step "installing torch (pinned by constraints.txt)"
    "$PY" -m pip install --quiet -c constraints.txt torch
fi

step 'installing lrplan with the dev extra: pip install -c constraints.txt -e ".[dev]"'
"$PY" -m pip install --quiet -c constraints.txt -e ".[dev]"

# timm is a test-only oracle. Its metadata requires torchvision, which has no build for
# this CPU torch, but timm.scheduler (all the tests load) needs neither torchvision nor
# anything the dev extra does not already install.
step "installing timm without its dependencies (pinned by constraints.txt)"
"$PY" -m pip install --quiet -c constraints.txt --no-deps timm

# Every check runs even when an earlier one fails, so one CI log shows all problems.
failed=()

step "ruff check"
"$PY" -m ruff check . || failed+=("ruff")

step "mypy (strict, config in pyproject.toml)"
"$PY" -m mypy || failed+=("mypy")

step "pytest (whole suite)"
status=0
"$PY" -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests; nothing failed, so this counts as success"
elif [ "$status" -ne 0 ]; then
    failed+=("pytest (exit $status)")
fi

if [ "${#failed[@]}" -gt 0 ]; then
    printf '\nFAILED: %s\n' "${failed[*]}" >&2
    exit 1
fi
printf '\nall checks passed: ruff, mypy, pytest\n'
