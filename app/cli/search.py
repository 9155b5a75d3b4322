"""`depositdesk search --player P | --address A`: the no-hash search in a terminal, with a progress bar."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from sqlmodel import Session

from chains.base import Chain

_RELATIVE = re.compile(r"(\d{1,4})([hd])")
_EXIT_USAGE = 2


def parse_since(value: str | None) -> datetime | None:
    """`2h`, `3d`, or an ISO date / date-time (UTC unless it says otherwise)."""
    if not value:
        return None
    relative = _RELATIVE.fullmatch(value.strip())
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        return datetime.now(UTC) - (timedelta(hours=amount) if unit == "h" else timedelta(days=amount))
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter("use 2h, 3d, or an ISO date such as 2026-11-20T10:00", param_hint="--since") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.command("search")
@click.option("--player", "-p", "player_ref", help="Player reference: all their deposit addresses are searched.")
@click.option("--address", "-a", help="One casino deposit address instead of a player.")
@click.option("--chain", "-c", type=click.Choice([c.value for c in Chain], case_sensitive=False))
@click.option("--asset", help="e.g. BTC, ETH, USDT")
@click.option("--amount", help='What the player says they sent, e.g. "0.015" (2 % tolerance).')
@click.option("--since", help="2h, 3d or an ISO date; default: 7 days ago.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as the API.")
def search_command(player_ref: str | None, address: str | None, chain: str | None, asset: str | None,
                   amount: str | None, since: str | None, limit: int, page: int, as_json: bool) -> None:  # fmt: skip
    """Find a player's payments without a hash: each candidate investigated, uncredited first."""
    from app.agents.schemas import InvestigationOut
    from app.cli.common import cli_settings, open_engine
    from app.wiring import build_investigator
    from investigations.search import InvalidSearch, SearchQuery, search

    settings = cli_settings()
    investigator = build_investigator(settings)
    query = SearchQuery(player_ref, address, chain, asset, amount, since=parse_since(since), limit=limit, page=page)
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total:
            bar = click.progressbar(length=total, label="Investigating candidates", file=sys.stderr)
            bar.__enter__()
        if bar is not None:
            bar.update(done - bar.pos)

    with Session(open_engine(settings)) as session:
        try:
            result = search(session, investigator, query, on_progress=progress, run_by="cli")
        except InvalidSearch as exc:
            click.echo(f"invalid search: {exc}", err=True)
            sys.exit(_EXIT_USAGE)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        candidates = [
            InvestigationOut.of(c, settings.public_base_url, investigator.status_token(c)).model_dump()
            for c in result.candidates
        ]
    if as_json:
        body = {"id": result.id, "query": result.query.as_json(), "candidates": candidates,
                "searched": result.searched, "not_searched": result.not_searched, "gaps": result.gaps(),
                "complete": result.complete, "total": result.total, "next_page": result.next_page}  # fmt: skip
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    click.echo(f"search {result.id}: {len(candidates)} of {result.total} transactions, uncredited first")
    for c in candidates:
        paid = ", ".join(f"{p['amount']} {p['asset']}" for p in c["evidence"].get("paid") or []) or "-"
        click.echo(f"  {c['verdict']['code']:<24} {c['chain']} {c['tx_hash']}  {paid}  {c['status_url']}")
    for gap in result.gaps():
        click.echo(f"  not searched: {gap}")
    if result.next_page:
        click.echo(f"  more: --page {result.next_page}")
