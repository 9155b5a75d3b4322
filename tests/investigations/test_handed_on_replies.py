"""Replies never promise what has not happened (issue 30): "passed to our finance team" only once a
finding or a ticket exists; before that, the reply says to contact support. In every language."""

from __future__ import annotations

import pytest

from investigations import catalogs
from investigations.messages import HANDED_ON, handed_on_messages, player_messages, reply_for

FACTS = {"amount": "0.015", "minimum": "0.0001", "asset": "BTC", "network": "TRON", "issued_network": "Ethereum", "issued": "Ethereum"}
# What each language says when someone has the case, and what it says when the player must ask.
PASSED_ON = {"en": ("finance team", "an agent"), "ru": ("финанс", "сотрудник"), "de": ("finanz", "mitarbeiter")}
ASK_SUPPORT = {
    "en": "contact our support team",
    "ru": "свяжитесь с нашей службой поддержки",
    "de": "an unseren Support",
}


@pytest.mark.parametrize("language", ["en", "ru", "de"])
@pytest.mark.parametrize("code", sorted(HANDED_ON))
def test_the_reply_says_finance_has_it_only_once_someone_has_it(code, language):
    verdict = {
        "player_message": player_messages(code, FACTS),
        "player_message_handed_on": handed_on_messages(code, FACTS),
    }
    before = reply_for(verdict, language, handed_on=False)
    after = reply_for(verdict, language, handed_on=True)
    assert not any(word in before.lower() for word in PASSED_ON[language]) and ASK_SUPPORT[language] in before
    assert any(word in after.lower() for word in PASSED_ON[language]) and ASK_SUPPORT[language] not in after
    assert "{" not in before + after  # every fact filled in


def test_every_reply_naming_finance_waits_for_a_finding_or_a_ticket():
    english = {code: text for code, text in player_messages.__globals__["TEMPLATES"].items()}
    # Naming finance, or saying an agent will answer, tells the player someone has the case.
    promising = {
        code for code, text in english.items()
        if "finance" in text.lower() or "an agent will" in text.lower() or "we are checking" in text.lower()
    }
    assert not promising, f"replies that promise an escalation nobody made: {sorted(promising)}"


def test_codes_without_a_handover_have_one_reply():
    assert handed_on_messages("credited", FACTS) is None
    verdict = {"player_message": player_messages("credited", FACTS)}
    assert reply_for(verdict, "ru", handed_on=True) == reply_for(verdict, "ru", handed_on=False)
    assert set(catalogs.LANGUAGES) == set(verdict["player_message"])
