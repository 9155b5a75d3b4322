"""The lookup form without a hash: a player entered alone, a casino address or a player named in the
text searches the player's payments and shows the candidates as compact verdict rows."""

from __future__ import annotations

import pytest

from investigations.types import utcnow
from tests.support.web import OURS, TIP, _csrf, _lookup


@pytest.fixture
def paid(chain):
    chain.recent_blocks(utcnow())
    return chain.build_tx([(OURS, 1_500_000)], height=TIP - 3)


def test_only_a_player_entered_searches_their_addresses(agent, paid):
    page = _lookup(agent, text="", player_ref="p-1842")
    assert page.status_code == 200 and "/searches/" in str(page.url)
    assert 'id="candidates"' in page.text and paid["txid"][:10] in page.text
    assert "Confirmed, not credited" in page.text and "Confirmed but not credited:" in page.text
    assert "/s/" in page.text  # each row carries the player's status link


@pytest.mark.parametrize(
    "text",
    [f"hi, I sent 0.015 BTC to {OURS} two hours ago, nothing arrived", "account p-1842: deposit missing since noon"],
)
def test_text_naming_a_casino_address_or_a_player_searches(agent, paid, text):
    page = agent.get("/")
    fragment = agent.post(
        "/lookup", data={"csrf": _csrf(page.text), "text": text}, headers={"X-Requested-With": "fetch"}
    )
    assert fragment.status_code == 200 and 'id="search-result"' in fragment.text
    assert fragment.headers["X-Investigation-Url"].startswith("/searches/")
    assert 'data-code="confirmed_not_credited"' in fragment.text
    again = agent.get(fragment.headers["X-Investigation-Url"])
    assert again.status_code == 200 and paid["txid"][:10] in again.text


def test_an_unknown_player_is_a_clear_error(agent, paid):
    page = _lookup(agent, text="", player_ref="p-nobody")
    assert page.status_code == 422 and "no deposit addresses are known" in page.text


def test_more_candidates_than_a_page_offers_the_next_page(agent, paid, chain):
    for n in range(21):
        chain.build_tx([(OURS, 100_000 + n)], height=TIP - 10 - n)
    first = _lookup(agent, text="", player_ref="p-1842")
    assert first.text.count("<tr data-code=") == 20 and 'id="next-page"' in first.text
    second = agent.post("/lookup", data={"csrf": _csrf(first.text), "player_ref": "p-1842", "page": "2"})
    assert second.status_code == 200 and second.text.count("<tr data-code=") == 2
    assert 'id="next-page"' not in second.text
