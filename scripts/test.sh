#!/usr/bin/env bash
# Installs what the tests need (a virtualenv with the project and its test extras) and runs
# the whole suite: lint, then pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
.venv/bin/ruff check app chains investigations tests bench
exec .venv/bin/python -m pytest "$@"
