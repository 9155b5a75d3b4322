"""The OpenAPI document (paths, methods, parameters, bodies, schemas) equals the copy in
`openapi_snapshot.json`, taken before the rooms move (issue 21): moving code changes no route and no
JSON shape. Tags are left out: they say which room owns a route, not what the route does.

After an intended change of the HTTP contract, write a new copy with
`DEPOSITDESK_WRITE_OPENAPI=1 python -m pytest tests/app/test_openapi.py` and commit it with the change."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from app.main import create_app

SNAPSHOT = Path(__file__).with_name("openapi_snapshot.json")


def without_tags(node: Any) -> Any:
    """The document with every `tags` list removed (top level and per operation)."""
    if isinstance(node, dict):
        return {key: without_tags(value) for key, value in node.items() if key != "tags"}
    if isinstance(node, list):
        return [without_tags(value) for value in node]
    return node


def document(settings, engine) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    app = create_app(settings.model_copy(update={"docs_enabled": True}), engine=engine, migrate_schema=False)
    # A JSON round trip, so the comparison sees what a client reads (tuples become lists).
    return json.loads(json.dumps(without_tags(app.openapi()), sort_keys=True))


def test_the_openapi_document_equals_the_snapshot_modulo_tags(settings, sqlite_engine):
    current = document(settings, sqlite_engine)
    if os.environ.get("DEPOSITDESK_WRITE_OPENAPI") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert sorted(current["paths"]) == sorted(expected["paths"])
    for path, operations in expected["paths"].items():
        assert sorted(current["paths"][path]) == sorted(operations), path
    assert current.get("components", {}).get("schemas") == expected.get("components", {}).get("schemas")
    assert current == expected


def test_the_comparison_ignores_tags_and_nothing_else():
    spec = {"tags": [{"name": "a"}], "paths": {"/x": {"get": {"tags": ["agents"], "summary": "s"}}}}
    assert without_tags(spec) == {"paths": {"/x": {"get": {"summary": "s"}}}}
    changed = {"paths": {"/x": {"get": {"tags": ["lead"], "summary": "other"}}}}
    assert without_tags(changed) != without_tags(spec)


ROOM_TAGS = {"agents", "players", "helpdesks", "lead", "finance", "admin", "runtime"}


def test_every_operation_is_tagged_with_exactly_one_room(settings, sqlite_engine):
    app = create_app(settings.model_copy(update={"docs_enabled": True}), engine=sqlite_engine, migrate_schema=False)
    tags = {
        f"{method.upper()} {path}": operation.get("tags", [])
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
    }
    assert tags and {where: t for where, t in tags.items() if len(t) != 1 or t[0] not in ROOM_TAGS} == {}
    assert tags["POST /api/searches"] == ["agents"] and tags["PUT /api/deposits"] == ["finance"]
    assert tags["POST /api/telegram-links"] == ["players"] and tags["GET /api/stats"] == ["lead"]
