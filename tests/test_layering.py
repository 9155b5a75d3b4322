"""The dependency rules of DESIGN.md: app -> investigations -> chains, never back; inside app/, the
surfaces (agents, players, helpdesks, api) -> runtime, and no surface imports another."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "chains": {"app", "investigations", "fastapi", "sqlmodel", "sqlalchemy"},
    "investigations": {"app", "requests", "web3", "fastapi", "httpx"},
}
SURFACES = ("agents", "players", "helpdesks", "api")
ENTRY_POINTS = {"main", "cli", "wiring"}


def _imports(path: Path, depth: int = 1) -> set[str]:
    """Absolute module names imported by `path`, cut to their first `depth` parts."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {".".join(alias.name.split(".")[:depth]) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(".".join(node.module.split(".")[:depth]))
            if node.module == "app":  # `from app import x` names the room itself
                names |= {f"app.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_upper_ones(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if _imports(path) & FORBIDDEN[package]
    }
    assert offenders == {}


def _rooms_imported(path: Path) -> set[str]:
    return {name.split(".")[1] for name in _imports(path, depth=2) if name.startswith("app.")}


@pytest.mark.parametrize("surface", SURFACES)
def test_a_surface_imports_no_other_surface_nor_the_entry_points(surface):
    forbidden = (set(SURFACES) - {surface}) | ENTRY_POINTS
    offenders = {
        str(path.relative_to(ROOT)): sorted(_rooms_imported(path) & forbidden)
        for path in (ROOT / "app" / surface).rglob("*.py")
        if _rooms_imported(path) & forbidden
    }
    assert offenders == {}


def test_runtime_imports_no_surface():
    # Alembic's environment imports every table model (helpdesk tables included) to describe the
    # whole schema; nothing else in runtime may reach up.
    forbidden = set(SURFACES) | ENTRY_POINTS
    offenders = {
        str(path.relative_to(ROOT)): sorted(_rooms_imported(path) & forbidden)
        for path in (ROOT / "app" / "runtime").rglob("*.py")
        if _rooms_imported(path) & forbidden and "migrations" not in path.parts
    }
    assert offenders == {}


def test_every_room_says_what_it_is_for_and_what_it_may_import():
    for room in (*SURFACES, "runtime"):
        doc = ast.get_docstring(ast.parse((ROOT / "app" / room / "__init__.py").read_text()))
        assert doc and "import" in doc, f"app/{room}/__init__.py needs a docstring naming what it may import"


def test_the_rule_catches_a_surface_importing_another(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("from app.players.words import TEXT\nfrom app import agents\n")
    assert _rooms_imported(bad) == {"players", "agents"}
