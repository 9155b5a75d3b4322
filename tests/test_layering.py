"""The dependency rules of DESIGN.md: app -> investigations -> chains, never back; inside app/, the
rooms (agents, players, helpdesks, lead, finance, admin) -> runtime, no room imports another, runtime
imports no room and defines no HTTP route, and only the entry points (main, cli; wiring and settings,
which they call) assemble rooms."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "chains": {"app", "investigations", "fastapi", "sqlmodel", "sqlalchemy"},
    "investigations": {"app", "requests", "web3", "fastapi", "httpx"},
}
ROOMS = ("agents", "players", "helpdesks", "lead", "finance", "admin")
SURFACES = ROOMS  # the name of the last turn's rule
ENTRY_POINTS = {"main", "cli", "wiring"}
ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "head", "options", "api_route", "websocket", "route"}


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


def _room_dirs() -> list[str]:
    """The rooms that exist now (admin/ comes with roles); a package of app/ that is neither a room,
    runtime, nor an entry point fails the test below, so a new room must be named here."""
    return [room for room in ROOMS if (ROOT / "app" / room).is_dir()]


def test_every_package_of_app_is_a_room_runtime_or_an_entry_point():
    packages = {p.name for p in (ROOT / "app").iterdir() if (p / "__init__.py").is_file()}
    assert packages - set(ROOMS) - {"runtime", "cli"} == set()


@pytest.mark.parametrize("room", ROOMS)
def test_a_room_imports_no_other_room_nor_the_entry_points(room):
    if not (ROOT / "app" / room).is_dir():
        pytest.skip(f"app/{room}/ does not exist yet")
    forbidden = (set(ROOMS) - {room}) | ENTRY_POINTS
    offenders = {
        str(path.relative_to(ROOT)): sorted(_rooms_imported(path) & forbidden)
        for path in (ROOT / "app" / room).rglob("*.py")
        if _rooms_imported(path) & forbidden
    }
    assert offenders == {}


def test_only_the_entry_points_assemble_rooms():
    """Outside the rooms themselves, only app/main.py, app/cli/ and wiring (which they call) import rooms;
    settings and runtime do not."""
    assemblers = {ROOT / "app" / "main.py", ROOT / "app" / "wiring.py"}
    offenders = {}
    for path in (ROOT / "app").rglob("*.py"):
        relative = path.relative_to(ROOT / "app")
        if relative.parts[0] in ROOMS or relative.parts[0] == "cli" or path in assemblers:
            continue
        if "migrations" in relative.parts:  # Alembic's environment registers every table model
            continue
        if _rooms_imported(path) & set(ROOMS):
            offenders[str(path.relative_to(ROOT))] = sorted(_rooms_imported(path) & set(ROOMS))
    assert offenders == {}


def _defines_routes(path: Path) -> list[str]:
    """What in `path` makes an HTTP route: an APIRouter, or a route decorator (`@x.get(...)`, ...)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Name) and node.id in {"APIRouter", "APIRoute"}:
            found.append(node.id)
        elif isinstance(node, ast.alias) and node.name.split(".")[-1] in {"APIRouter", "APIRoute"}:
            found.append(node.name)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(call, ast.Attribute) and call.attr in ROUTE_DECORATORS:
                    found.append(f"@{call.attr} on {node.name}")
    return sorted(set(found))


def test_runtime_defines_no_http_route():
    offenders = {
        str(path.relative_to(ROOT)): _defines_routes(path)
        for path in (ROOT / "app" / "runtime").rglob("*.py")
        if _defines_routes(path)
    }
    assert offenders == {}


def test_runtime_imports_no_room():
    # Alembic's environment imports every table model (helpdesk tables included) to describe the
    # whole schema; nothing else in runtime may reach up.
    forbidden = set(ROOMS) | ENTRY_POINTS
    offenders = {
        str(path.relative_to(ROOT)): sorted(_rooms_imported(path) & forbidden)
        for path in (ROOT / "app" / "runtime").rglob("*.py")
        if _rooms_imported(path) & forbidden and "migrations" not in path.parts
    }
    assert offenders == {}


def test_every_room_says_what_it_is_for_and_what_it_may_import():
    for room in (*_room_dirs(), "runtime"):
        doc = ast.get_docstring(ast.parse((ROOT / "app" / room / "__init__.py").read_text()))
        assert doc and "import" in doc, f"app/{room}/__init__.py needs a docstring naming what it may import"


def test_the_rule_catches_a_room_importing_another(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("from app.players.words import TEXT\nfrom app import agents\nimport app.lead.sla\n")
    assert _rooms_imported(bad) == {"players", "agents", "lead"}


def test_the_rule_catches_a_route_in_runtime(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text(
        "from fastapi import APIRouter, FastAPI\nrouter = APIRouter()\napp = FastAPI()\n"
        "@app.get('/x')\ndef x():\n    return 1\n"
    )
    assert _defines_routes(bad) == ["@get on x", "APIRouter"]
    fine = tmp_path / "y.py"
    fine.write_text("from fastapi import Depends, Request\ndef dep(request: Request):\n    return request.app\n")
    assert _defines_routes(fine) == []
