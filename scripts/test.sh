#!/usr/bin/env bash
# Installs what the tests need (a virtualenv with the locked test dependencies and the project; anvil and
# solc from npm; Debian's Chromium) and runs the whole suite: lint, then pytest. Extra arguments
# go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# The pinned, hashed test lock (the runtime lock plus the test extra: the same versions the image
# runs), then the project itself without dependencies. scripts/lock.sh regenerates the locks.
.venv/bin/python -m pip install --quiet --require-hashes -r requirements-test.lock
.venv/bin/python -m pip install --quiet --no-deps -e .
# A real Ethereum node (anvil) and the Solidity compiler for the test contracts, from npm.
if command -v npm >/dev/null 2>&1; then
    npm ci --no-audit --no-fund --loglevel=error
else
    echo "npm not found: the anvil tests will be skipped (CI requires them)" >&2
fi
# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "chromium not found and not root: the browser tests will be skipped (CI requires them)" >&2
    fi
fi
.venv/bin/ruff check app chains investigations tests bench
exec .venv/bin/python -m pytest "$@"
