"""A ticket about a tx the deposit auditor already found: the note says so, the finding links the ticket."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from investigations.audit.models import Finding
from investigations.types import utcnow
from tests.app.helpdesks.test_webhooks import OURS, TIP, app, callbacks, client, desks, drain, post_zendesk  # noqa: F401


def test_a_ticket_about_a_found_tx_says_how_much_earlier_it_was_found(client, app, chain, desks, engine):  # noqa: F811
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    with Session(engine) as session:
        finding = Finding(
            payment_id=1, chain="btc", tx_hash=tx["txid"], block_height=TIP - 5, address=OURS, player_ref="p-1842",
            asset="BTC", amount_base_units=1_500_000, code="confirmed_not_credited",
            found_at=utcnow() - timedelta(minutes=42, seconds=10),
        )  # fmt: skip
        session.add(finding)
        session.commit()
        finding_id = finding.id
    desks["zendesk"].ticket("201", "Deposit missing", f"I sent 0.015 BTC, txid {tx['txid']}")
    assert post_zendesk(client, "201").status_code == 202
    drain(app)
    [note] = desks["zendesk"].private_notes("201")
    assert note.startswith(
        f"depositdesk's deposit auditor found this 42 minutes before the player wrote (finding #{finding_id}"
    )
    with Session(engine) as session:
        linked = session.get(Finding, finding_id)
        assert linked.ticket_ref == "zendesk:201" and linked.ticket_at is not None


def test_a_ticket_about_a_tx_without_a_finding_has_no_such_line(client, app, chain, desks):  # noqa: F811
    tx = chain.build_tx([(OURS, 1_500_000)], height=TIP - 5)
    desks["zendesk"].ticket("202", "Deposit missing", f"txid {tx['txid']}")
    post_zendesk(client, "202")
    drain(app)
    [note] = desks["zendesk"].private_notes("202")
    assert "deposit auditor" not in note
