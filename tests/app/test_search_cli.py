"""`depositdesk search`: a player's payments without a hash, in a terminal, with a progress bar."""

from __future__ import annotations

import json

from sqlmodel import Session

from investigations.types import utcnow
from tests.app.test_cli import OURS, TIP, cli  # noqa: F401 - the fixture
from tests.support.ledger import add_addresses, address


def test_search_by_player_prints_the_candidates_uncredited_first_with_progress(cli, chain):  # noqa: F811
    chain.recent_blocks(utcnow())
    other = address("cli-p-1-second")
    with Session(cli.db) as session:
        add_addresses(session, (OURS, "p-1"), (other, "p-1"))
    first = chain.build_tx([(other, 1_500_000)], height=TIP - 5)
    pending = chain.build_tx([(OURS, 700_000)])

    result = cli("search", "--player", "p-1", "--since", "2d", "--amount", "0.015")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "2 of 2 transactions" in lines[0]
    assert lines[1].split()[:3] == ["confirmed_not_credited", "btc", first["txid"]] and "0.015 BTC" in lines[1]
    assert lines[2].split()[:3] == ["pending", "btc", pending["txid"]]
    assert "https://desk.example/s/" in lines[1] and "Investigating candidates" in result.stderr

    as_json = json.loads(cli("search", "--address", other, "--json").stdout)
    assert [c["tx_hash"] for c in as_json["candidates"]] == [first["txid"]] and as_json["complete"] is True


def test_a_search_that_cannot_run_exits_2_naming_the_field(cli, chain):  # noqa: F811
    result = cli("search", "--player", "nobody")
    assert result.exit_code == 2 and "player_ref: no deposit addresses are known" in result.stderr
    bad = cli("search", "--player", "p-1", "--since", "yesterday-ish")
    assert bad.exit_code == 2 and "--since" in bad.output
