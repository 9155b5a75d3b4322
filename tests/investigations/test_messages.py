import pytest

from investigations.catalogs import LANGUAGES
from investigations.messages import TEMPLATES, player_messages
from investigations.verdicts import Code

FACTS = {
    "amount": "0.015",
    "asset": "BTC",
    "confirmations": 1,
    "required": 2,
    "eta_minutes": 10,
    "minimum": "0.0001",
    "network": "bsc",
    "issued_network": "Ethereum",
    "issued": "TRON",
}


@pytest.mark.parametrize("code", list(Code))
def test_every_verdict_code_has_a_reply_in_every_language(code):
    messages = player_messages(code, FACTS)
    assert set(messages) == set(LANGUAGES)
    for text in messages.values():
        assert text and "{" not in text and "}" not in text


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_no_reply_names_a_player_or_an_internal_id(template):
    for text in player_messages(template, FACTS | {"player_ref": "p-1842"}).values():
        assert "p-1842" not in text
