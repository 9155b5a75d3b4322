"""Tickets without a hash that name a player or a casino address: one note listing the candidates,
an uncredited confirmed payment said first; fake helpdesks end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session

from app.helpdesks.clients.zendesk import Zendesk
from investigations.types import utcnow
from tests.app.helpdesks.test_webhooks import (  # noqa: F401 - fixtures
    OURS,
    TIP,
    app,
    callbacks,
    client,
    desks,
    drain,
    post_zendesk,
)
from tests.support.ledger import add_deposit


def test_a_ticket_naming_a_player_gets_one_note_with_the_uncredited_payment_first(client, app, chain, desks, engine):  # noqa: F811
    chain.recent_blocks(utcnow())
    credited = chain.build_tx([(OURS, 800_000)], height=TIP - 20)
    missing = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    with Session(engine) as session:
        add_deposit(session, credited["txid"], OURS, "0.008", "p-1842")
    desks["zendesk"].ticket("201", "Deposit missing", "Hello, account p-1842 here. I sent 0.015 BTC, nothing came")

    post_zendesk(client, "201", invocation="a")
    post_zendesk(client, "201", invocation="b")  # an update: no second search, no second note
    drain(app)

    [note] = desks["zendesk"].private_notes("201")
    first, candidates = note.index("FIRST: a confirmed payment that is NOT credited"), note.index("Candidates: 2 of 2")
    assert first < candidates and missing["txid"] in note[first:candidates]
    assert credited["txid"] in note[candidates:] and "Credited (credited)" in note
    assert note.count("https://desk.example/s/") == 3  # the first one's link, then one per candidate
    assert "[depositdesk search p-1842]" in note
    assert set(desks["zendesk"].tickets["201"]["tags"]) == {"deposit-search", "deposit-confirmed-not-credited"}


def test_a_ticket_naming_a_casino_address_searches_it_and_asks_for_the_hash_if_nothing_is_uncredited(
    client,  # noqa: F811
    app,  # noqa: F811
    chain,
    desks,  # noqa: F811
):
    chain.recent_blocks(utcnow())
    desks["zendesk"].ticket("202", "Einzahlung", f"Ich habe an {OURS} überwiesen, bitte prüfen")
    post_zendesk(client, "202")
    drain(app)
    [note] = desks["zendesk"].private_notes("202")
    assert f"searched the payments to address {OURS}" in note and "No payments found" in note
    assert "Transaktions-Hash" in note and desks["zendesk"].tickets["202"]["tags"] == ["deposit-search"]


def test_zendesk_reads_the_player_from_a_configured_ticket_field(desks, http_mock):  # noqa: F811
    desks["zendesk"].ticket("203", "Deposit", "nothing arrived")
    desks["zendesk"].tickets["203"]["custom_fields"] = [{"id": 77, "value": "p-1842"}, {"id": 78, "value": "x"}]
    zendesk = Zendesk(desks["zendesk"].base, "bot@casino.example", "zt", ["s"], player_field_id=77)
    assert zendesk.fetch("203").player_ref == "p-1842"
    assert Zendesk(desks["zendesk"].base, "bot@casino.example", "zt", ["s"]).fetch("203").player_ref is None
