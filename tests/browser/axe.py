"""axe-core (npm devDependency, installed by `npm ci`) injected into a page: its violations, named."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import require

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    require(AXE.exists(), "axe-core not installed (npm ci)")
    page.evaluate(AXE.read_text())  # through the driver: the pages' CSP (script-src 'self') stays as it is
    found = page.evaluate("async () => (await axe.run(document)).violations.map(v => v.id + ': ' + v.nodes.length)")
    return list(found)
