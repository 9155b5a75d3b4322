#!/usr/bin/env bash
# Regenerates the pinned, hashed dependency locks from pyproject.toml with `uv pip compile`:
#   requirements.lock       what the service needs (the Docker image and the README install it)
#   requirements-test.lock  the same pins plus the `test` extra (scripts/test.sh installs it)
# Run it after any change to the dependencies in pyproject.toml, and commit both files.
# Pins already in the locks are kept unless pyproject.toml needs otherwise; `--upgrade` (passed
# through) moves every pin to the newest allowed version.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
if [ ! -x .venv/bin/uv ]; then .venv/bin/python -m pip install --quiet 'uv>=0.4'; fi
compile=(.venv/bin/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes
    --no-header --quiet "$@")
"${compile[@]}" -o requirements.lock
# The test lock is constrained by the runtime lock: CI tests exactly the versions the image runs.
"${compile[@]}" --extra test -c requirements.lock -o requirements-test.lock
echo "wrote requirements.lock ($(grep -c '==' requirements.lock) pins) and requirements-test.lock ($(grep -c '==' requirements-test.lock) pins)"
