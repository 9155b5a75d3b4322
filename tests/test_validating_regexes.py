"""Every validating regex matches the whole text: `re.match` + `$` lets "0.1\n" through (`$` also
matches before a final newline), so the project uses `fullmatch` (or `\\Z`), never `.match` or `$`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "chains", "investigations")


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(), filename=str(path))


def test_no_regex_is_used_with_match():
    offenders = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "match":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], "use fullmatch (or search) instead of match: " + ", ".join(offenders)


def test_no_pattern_ends_with_a_dollar():
    offenders = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            module = node.func.value
            if not (isinstance(module, ast.Name) and module.id == "re"):
                continue  # str.split("$") and the like are not patterns
            for argument in node.args[:1]:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str | bytes):
                    pattern = argument.value if isinstance(argument.value, str) else argument.value.decode()
                    if pattern.endswith("$") and not pattern.endswith("\\$"):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], "a pattern ending in $ also matches before a newline; use fullmatch or \\Z: " + ", ".join(
        offenders
    )


def test_the_checks_catch_the_old_amount_pattern(tmp_path):
    tree = ast.parse('import re\nP = re.compile(r"^(0|[1-9][0-9]*)$")\nP.match(x)\n')
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert {c.func.attr for c in calls} == {"compile", "match"}
