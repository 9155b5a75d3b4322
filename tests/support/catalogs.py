"""What the catalog tests share: the msgids the code and templates mark, found as `scripts/i18n.sh
extract` finds them (same babel.cfg), what is wrong with a catalog, and a language added for one test."""

from __future__ import annotations

import shutil
import string
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import write_po

from investigations import catalogs
from investigations.messages import FIELDS, TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
Key = tuple[str | None, str]  # (msgctxt, msgid)


@lru_cache(maxsize=1)
def extracted_messages() -> dict[Key, tuple[str, ...]]:
    """Every marked message: its key and its English forms (one, or singular and plural)."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {}
    for source in ("app", "investigations"):
        for _file, _line, message, _comments, context in extract_from_dir(str(ROOT / source), method_map, options_map):
            forms = message if isinstance(message, tuple) else (message,)
            found[(context, forms[0])] = forms
    return found


def _fields(texts: tuple[str, ...]) -> set[str]:
    return {field for text in texts for _, field, _, _ in string.Formatter().parse(text) if field}


def catalog_problems(catalog: Catalog, expected: dict[Key, tuple[str, ...]]) -> list[str]:
    """Messages missing, fuzzy, untranslated (any plural form), with unknown placeholders, or stale."""
    problems = []
    for (context, msgid), forms in expected.items():
        message = catalog.get(msgid, context=context)
        if message is None:
            problems.append(f"missing: {msgid!r}")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = catalog.num_plurals if len(forms) > 1 else 1
        if message.fuzzy or len(strings) != wanted or not all(strings):
            problems.append(f"not translated (fuzzy, or a form empty): {msgid!r}")
        allowed = _fields(forms) | (FIELDS if msgid in TEMPLATES.values() else set())
        if _fields(strings) - allowed:
            problems.append(f"unknown placeholders {sorted(_fields(strings) - allowed)}: {msgid!r}")
    present = {(message.context, message.id if isinstance(message.id, str) else message.id[0]) for message in catalog}
    problems += [f"not in the code any more: {msgid!r}" for context, msgid in present - set(expected) if msgid]
    return problems


def add_language(
    monkeypatch: pytest.MonkeyPatch, locale_dir: Path, language: str, translate: Callable[[str], str]
) -> Path:
    """The shipped catalogs plus one for `language` (every form of every message through `translate`),
    made the service's catalogs for the test. Returns the new catalog's path."""
    shutil.copytree(catalogs.LOCALE_DIR, locale_dir, ignore=shutil.ignore_patterns("*.pot"))
    catalog = Catalog(locale=language)
    for (context, msgid), forms in extracted_messages().items():
        if len(forms) > 1:
            plural = tuple(translate(forms[min(index, 1)]) for index in range(catalog.num_plurals))
            catalog.add(forms, plural, context=context)
        else:
            catalog.add(msgid, translate(msgid), context=context)
    path = catalogs.catalog_path(language, locale_dir)
    path.parent.mkdir(parents=True, exist_ok=True)  # replaces a shipped catalog of the language, if any
    with path.open("wb") as po_file:
        write_po(po_file, catalog)
    monkeypatch.setattr(catalogs, "LOCALE_DIR", locale_dir)
    monkeypatch.setattr(catalogs, "LANGUAGES", catalogs.find_languages(locale_dir))
    return path
