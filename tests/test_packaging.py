"""What a plain (non-editable) install ships: every template, static file and migration is package
data, and the hashed locks the image and CI install from cover what pyproject.toml asks for."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _shipped(package: str) -> set[Path]:
    base = ROOT / package
    return {path for pattern in PYPROJECT["tool"]["setuptools"]["package-data"][package] for path in base.glob(pattern)}


def test_package_data_covers_every_template_static_file_and_migration():
    shipped = _shipped("app")
    for folder in ("app/templates", "app/runtime/migrations"):
        files = {p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
        assert files, folder
        missing = sorted(str(p.relative_to(ROOT)) for p in files - shipped)
        assert not missing, f"not in [tool.setuptools.package-data] app, so a wheel would lack them: {missing}"


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text()
    return {m[1].lower().replace("_", "-"): m[2] for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.M)}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_locks_pin_every_dependency_with_hashes_and_agree_with_each_other():
    runtime, test = _pins("requirements.lock"), _pins("requirements-test.lock")
    project = PYPROJECT["project"]
    assert {_name(r) for r in project["dependencies"]} <= set(runtime), "run scripts/lock.sh"
    assert {_name(r) for r in project["optional-dependencies"]["test"]} <= set(test), "run scripts/lock.sh"
    assert {name: test.get(name) for name in runtime} == runtime  # CI tests the versions the image runs
    for lock in ("requirements.lock", "requirements-test.lock"):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text())
        assert all("--hash=sha256:" in block for block in blocks if "==" in block), lock
