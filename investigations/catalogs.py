"""The gettext catalogs of everything the player reads: which languages there are, and their words.

English is the source language: the msgids are the English text, so English needs no catalog.
Every other language is one file a translator can edit, `locale/<code>/LC_MESSAGES/messages.po`;
the languages offered are English plus the catalogs present, so adding one is adding its file.
The .po files are read with Babel on first use (no compiled .mo to keep in step with them), and a
language's plural rule is Babel's (CLDR's) for it, written into the catalog's `Plural-Forms` header.
`scripts/i18n.sh` extracts the msgids from the code and the templates and updates the catalogs.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


def N_(message: str) -> str:  # the name gettext extractors look for
    """Marks a msgid for extraction where it is declared; it is translated where it is used."""
    return message


def catalog_path(language: str, locale_dir: Path | None = None) -> Path:
    return (locale_dir or LOCALE_DIR) / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def find_languages(locale_dir: Path | None = None) -> tuple[str, ...]:
    """English and every language with a catalog, sorted by code."""
    found = {path.parents[1].name for path in (locale_dir or LOCALE_DIR).glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return tuple(sorted(found | {SOURCE_LANGUAGE}))


LANGUAGES = find_languages()


def translations(language: str) -> gettext.NullTranslations:
    """The words of `language`; English (and a language without a catalog) gets the msgids back."""
    return _load(catalog_path(language))


@lru_cache(maxsize=64)
def _load(path: Path) -> gettext.NullTranslations:
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=path.parents[1].name)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as `pybabel compile` does
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
