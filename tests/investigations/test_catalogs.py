"""The catalogs: every message the code and templates mark is translated in every shipped language
(all plural forms, Babel's plural rule), the package ships them, and a new language is one .po file."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from investigations import catalogs
from investigations.messages import player_messages, reply_in
from tests.support.catalogs import ROOT, add_language, catalog_problems, extracted_messages

SHIPPED = [language for language in catalogs.LANGUAGES if language != catalogs.SOURCE_LANGUAGE]
FACTS = {"amount": "0.015", "asset": "BTC", "confirmations": 1, "required": 2, "eta_minutes": 10}


def _read(language: str) -> Catalog:
    with catalogs.catalog_path(language).open("rb") as po_file:
        return read_po(po_file, locale=language)


def test_russian_german_and_english_are_shipped():
    assert {"ru", "de", "en"} <= set(catalogs.LANGUAGES)


def test_the_code_marks_the_messages_we_expect_it_to():
    keys = set(extracted_messages())
    assert ("confirmations required", "confirmation") in keys  # npgettext in investigations/
    assert (None, "Link not found") in keys  # a player template
    assert (None, "Received — waiting for the first confirmation") in keys  # N_ in app/players/
    assert len(keys) > 40


@pytest.mark.parametrize("language", SHIPPED)
def test_every_marked_message_is_translated(language):
    assert catalog_problems(_read(language), extracted_messages()) == []


@pytest.mark.parametrize("language", SHIPPED)
def test_each_catalog_has_babels_plural_rule_for_its_language(language):
    assert _read(language).plural_forms == Catalog(locale=language).plural_forms


def test_a_catalog_missing_a_message_or_a_plural_form_is_reported():
    catalog = _read("ru")
    catalog.delete("Link not found")
    catalog.get("minute", context="minutes to wait").string = ("минуту", "", "минут")
    assert catalog_problems(catalog, extracted_messages()) == [
        "missing: 'Link not found'",
        "not translated (fuzzy, or a form empty): 'minute'",
    ]


def test_a_placeholder_the_code_does_not_give_is_reported():
    catalog = _read("de")
    catalog.get("{confirmations} of {required} confirmations").string = ("{confirmation} von {required}",) * 2
    assert catalog_problems(catalog, extracted_messages()) == [
        "unknown placeholders ['confirmation']: '{confirmations} of {required} confirmations'"
    ]


def test_the_catalogs_are_package_data():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for path in catalogs.LOCALE_DIR.glob("*/LC_MESSAGES/*.po"):
        relative = path.relative_to(ROOT / "investigations").as_posix()
        assert any(fnmatch(relative, pattern) for pattern in package_data["investigations"]), relative


PORTUGUESE = {
    "Your deposit of {amount} {asset} is confirming: {confirmations} of {required} {required_word}. It will be "
    "credited automatically in about {eta_minutes} {eta_word}.": "O seu depósito de {amount} {asset} está a ser "
    "confirmado: {confirmations} de {required} {required_word}. Será creditado automaticamente dentro de cerca de "
    "{eta_minutes} {eta_word}.",
    "confirmation": "confirmação",
    "confirmations": "confirmações",
    "minute": "minuto",
    "minutes": "minutos",
}


def test_a_new_language_is_one_catalog_file(tmp_path, monkeypatch):
    path = add_language(monkeypatch, tmp_path / "locale", "pt", lambda text: PORTUGUESE.get(text, f"[pt] {text}"))
    assert catalogs.LANGUAGES == tuple(sorted({*SHIPPED, "en", "pt"}))
    with path.open("rb") as po_file:
        assert catalog_problems(read_po(po_file, locale="pt"), extracted_messages()) == []
    replies = player_messages("confirming", FACTS)
    assert set(replies) == {*SHIPPED, "en", "pt"}
    assert replies["pt"] == (
        "O seu depósito de 0.015 BTC está a ser confirmado: 1 de 2 confirmações. "
        "Será creditado automaticamente dentro de cerca de 10 minutos."
    )
    one = player_messages("confirming", FACTS | {"required": 1, "eta_minutes": 1})["pt"]
    assert "1 de 1 confirmação" in one and "cerca de 1 minuto." in one
    assert player_messages("credited", FACTS)["pt"].startswith("[pt] Your deposit of 0.015 BTC")


def test_a_reply_stored_before_its_language_existed_is_read_in_english():
    stored = {"de": "Ihre Einzahlung", "en": "Your deposit", "ru": "Ваш депозит"}
    assert reply_in(stored, "pt") == "Your deposit" and reply_in(stored, "ru") == "Ваш депозит"
