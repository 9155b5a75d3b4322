"""Two agents each see only their own investigations and their tickets', a lead sees both, on SQLite
and PostgreSQL: every page and route that lists or shows investigations, searches, status links and
chat links, by id on the API, and with a machine token of the `read` scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.runtime.scoping import NOT_YOURS
from app.runtime.tokens import add_token
from investigations.models import Investigation
from investigations.service import InvestigationRequest
from tests.app.admin.conftest import CSRF, person
from tests.support.ledger import address

TIP = 850_010
ANN_ADDRESS, BEN_ADDRESS = address("scope-ann"), address("scope-ben")


class World:
    """Who ran what: ann (an agent), ben (an agent), lea (a lead), and a helpdesk's investigations."""

    def __init__(self, app, chain) -> None:  # type: ignore[no-untyped-def]
        now = datetime.now(UTC)
        for height in range(TIP - 1100, TIP + 1):
            chain.block_times[height] = int((now - timedelta(minutes=10 * (TIP - height))).timestamp())
        self.app = app
        finance, finance_token = person(app, "scope-finance", "finance")
        rows = [
            {"chain": "btc", "address": ANN_ADDRESS, "player_ref": "p-ann"},
            {"chain": "btc", "address": BEN_ADDRESS, "player_ref": "p-ben"},
        ]
        with finance:
            answer = finance.put("/api/deposit-addresses", json=rows, headers=self._bearer(finance_token))
            assert answer.status_code == 200, answer.text
        self.ann, self.ann_token = person(app, "ann", "agent")
        self.ben, self.ben_token = person(app, "ben", "agent")
        self.lea, self.lea_token = person(app, "lea", "lead")
        self.tx = {
            name: chain.build_tx([(to, 1_500_000 + n)], height=TIP - 3)["txid"]
            for n, (name, to) in enumerate(
                [("ann_api", ANN_ADDRESS), ("ann_lookup", ANN_ADDRESS), ("ben_api", BEN_ADDRESS)]
                + [("desk_11", ANN_ADDRESS), ("desk_22", BEN_ADDRESS)]
            )
        }
        self.ids = {
            "ann_api": self._api_investigation(self.ann, self.ann_token, "ann_api", "p-ann", "zendesk:11"),
            "ben_api": self._api_investigation(self.ben, self.ben_token, "ben_api", "p-ben", None),
        }
        with self.ann:
            answer = self.ann.post(
                "/lookup", data={"csrf": CSRF, "text": self.tx["ann_lookup"]}, follow_redirects=False
            )
        assert answer.status_code == 303, answer.text
        self.ids["ann_lookup"] = answer.headers["location"].split("/")[-1].split("?")[0]
        with Session(app.state.engine) as session:  # what the helpdesk's ticket job makes: nobody's own
            for name, ticket in (("desk_11", "zendesk:11"), ("desk_22", "zendesk:22")):
                request = InvestigationRequest(self.tx[name], ticket_ref=ticket, channel="zendesk")
                self.ids[name] = app.state.investigator.investigate(session, request).id
        with self.ann:
            answer = self.ann.post("/api/searches", json={"player_ref": "p-ann"}, headers=self._bearer(self.ann_token))
        assert answer.status_code == 200, answer.text
        self.ann_search = answer.json()["id"]

    @staticmethod
    def _bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def _api_investigation(self, client, token, name, player, ticket):  # type: ignore[no-untyped-def]
        body = {"tx_hash": self.tx[name], "player_ref": player, "ticket_ref": ticket}
        with client:
            answer = client.post("/api/investigations", json=body, headers=self._bearer(token))
        assert answer.status_code == 200, answer.text
        return answer.json()["id"]

    def seen(self, client: TestClient, token: str) -> dict[str, set[str]]:
        """Which of the world's transactions each listing shows, and which ids answer by id."""
        hashes = {name: txid for name, txid in self.tx.items()}
        with client:
            pages = {
                "home": client.get("/").text,
                "list": client.get("/investigations").text,
                "panel_11": client.get("/panel", params={"ticket": "zendesk:11"}).text,
                "panel_22": client.get("/panel", params={"ticket": "zendesk:22"}).text,
            }
            found = {
                where: {n for n, txid in hashes.items() if txid in text or self.ids[n] in text}
                for where, text in pages.items()
            }
            found["page"], found["api"] = set(), set()
            for name, record_id in self.ids.items():
                page = client.get(f"/investigations/{record_id}")
                api = client.get(f"/api/investigations/{record_id}", headers=self._bearer(token))
                if page.status_code == 200:
                    found["page"].add(name)
                else:
                    assert page.status_code == 404 and NOT_YOURS in page.text, name
                    assert self.tx[name] not in page.text and record_id not in page.text.replace(
                        f"/investigations/{record_id}", ""
                    )
                if api.status_code == 200:
                    found["api"].add(name)
                else:
                    assert api.status_code == 404 and NOT_YOURS in api.json()["detail"], name
                    assert self.tx[name] not in api.text
        return found


@pytest.fixture
def world(role_app, chain):  # type: ignore[no-untyped-def]
    return World(role_app, chain)


ANN_SEES = {"ann_api", "ann_lookup", "desk_11"}  # desk_11: the helpdesk's, on the ticket ann worked
BEN_SEES = {"ben_api"}
EVERY = {"ann_api", "ann_lookup", "ben_api", "desk_11", "desk_22"}


def test_each_agent_sees_only_their_own_and_their_tickets_and_a_lead_sees_every_one(world):
    ann, ben = world.seen(world.ann, world.ann_token), world.seen(world.ben, world.ben_token)
    lea = world.seen(world.lea, world.lea_token)
    for where in ("list", "page", "api"):
        assert ann[where] == ANN_SEES, where
        assert ben[where] == BEN_SEES, where
        assert lea[where] == EVERY, where
    # the home page lists one row per payment (ann's search investigated her payments again)
    assert ann["home"] and ann["home"] <= ANN_SEES
    assert ben["home"] == BEN_SEES and {"ben_api", "desk_22"} <= lea["home"] <= EVERY
    assert ann["panel_11"] == {"desk_11", "ann_api"} and ben["panel_11"] == set() and ben["panel_22"] == set()
    assert lea["panel_22"] == {"desk_22"}


def test_working_a_shared_ticket_shows_the_helpdesks_investigations_never_another_agents(world):
    world._api_investigation(world.ben, world.ben_token, "ben_api", "p-ben", "zendesk:11")
    ben = world.seen(world.ben, world.ben_token)
    assert "desk_11" in ben["api"] and "ann_api" not in ben["api"] and "ann_api" not in ben["panel_11"]


def test_a_search_is_its_runners_and_every_candidate_of_it_too(world):
    path = f"/api/searches/{world.ann_search}"
    with world.ann:
        mine = world.ann.get(path, headers=World._bearer(world.ann_token))
        assert world.ann.get(f"/searches/{world.ann_search}").status_code == 200
    assert mine.status_code == 200 and mine.json()["candidates"]
    with world.ben:
        theirs = world.ben.get(path, headers=World._bearer(world.ben_token))
        page = world.ben.get(f"/searches/{world.ann_search}")
        for candidate in mine.json()["candidates"]:  # each candidate is an investigation ann ran
            assert world.ben.get(f"/investigations/{candidate['id']}").status_code == 404
    assert theirs.status_code == 404 and NOT_YOURS in theirs.json()["detail"]
    assert page.status_code == 404 and "p-ann" not in page.text and ANN_ADDRESS not in page.text
    with world.lea:
        assert world.lea.get(path, headers=World._bearer(world.lea_token)).status_code == 200


def test_an_agent_cannot_revoke_another_agents_status_link_or_link_that_players_chat(world):
    with world.ben:
        revoke = world.ben.post(f"/investigations/{world.ids['ann_api']}/revoke-link", data={"csrf": CSRF})
        link = world.ben.post("/api/chat-links", json={"player_ref": "p-ann"}, headers=World._bearer(world.ben_token))
        own = world.ben.post("/api/chat-links", json={"player_ref": "p-ben"}, headers=World._bearer(world.ben_token))
    assert revoke.status_code == 404 and NOT_YOURS in revoke.text
    assert link.status_code == 403 and "p-ann" in link.json()["detail"] and NOT_YOURS in link.json()["detail"]
    assert own.status_code == 409  # past the scope check: only the bot is not configured here
    with Session(world.app.state.engine) as session:
        assert session.get(Investigation, world.ids["ann_api"]).status_revoked_at is None
    with world.ann:
        assert (
            world.ann.post(
                f"/investigations/{world.ids['ann_api']}/revoke-link", data={"csrf": CSRF}, follow_redirects=False
            ).status_code
            == 303
        )
    with Session(world.app.state.engine) as session:
        assert session.get(Investigation, world.ids["ann_api"]).status_revoked_at is not None


def test_a_read_token_of_the_back_office_reads_every_investigation(world):
    with Session(world.app.state.engine) as session:
        _token, secret = add_token(session, "backoffice-read", ["read"], by="test")
        session.commit()
    with TestClient(world.app) as client:
        for record_id in world.ids.values():
            assert client.get(f"/api/investigations/{record_id}", headers=World._bearer(secret)).status_code == 200
        assert client.get(f"/api/searches/{world.ann_search}", headers=World._bearer(secret)).status_code == 200


def test_investigations_record_who_ran_them(world):
    with Session(world.app.state.engine) as session:
        run_by = {name: session.get(Investigation, record_id).run_by for name, record_id in world.ids.items()}
    assert run_by == {
        "ann_api": "agent:ann",
        "ann_lookup": "agent:ann",
        "ben_api": "agent:ben",
        "desk_11": None,
        "desk_22": None,
    }
