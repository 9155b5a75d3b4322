"""`depositdesk ledger import FILE`: deposit addresses, deposits and payouts from CSV or JSON, all rows or none."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlmodel import Session

from app.cli.common import cli_settings, open_engine
from app.finance.ledger_files import ImportError_, parse, read_rows


@click.group()
def ledger() -> None:
    """Load the casino's deposit records."""


@ledger.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def ledger_import(file: Path) -> None:
    """Import deposit addresses, deposits and payouts from CSV or JSON: every row, or none."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.finance.ledger_files import describe
    from app.runtime.activity import Who, append
    from investigations.ledger import LedgerRecordsError, upsert_deposit_addresses, upsert_deposits
    from investigations.payouts import upsert_payouts

    settings = cli_settings()
    try:
        rows = read_rows(file)
        with click.progressbar(length=len(rows), label="validating", file=sys.stderr) as bar:
            parsed = parse(rows)
            bar.update(len(rows))
    except ImportError_ as exc:
        raise click.ClickException(str(exc)) from exc
    engine = open_engine(settings)
    with Session(engine) as session, click.progressbar(length=len(parsed), label="importing", file=sys.stderr) as bar:
        try:
            rows = parsed.address_rows
            addresses = upsert_deposit_addresses(session, parsed.addresses, settings.assets)
            bar.update(len(parsed.addresses))
            rows = parsed.deposit_rows
            deposits = upsert_deposits(session, parsed.deposits, settings.assets)
            bar.update(len(parsed.deposits))
            rows = parsed.payout_rows
            payouts = upsert_payouts(session, parsed.payouts, settings.assets)
            bar.update(len(parsed.payouts))
            trail = {"addresses": vars(addresses), "deposits": vars(deposits), "payouts": vars(payouts)}
            append(session, Who.cli(), "ledger.import", file.name, after=trail)
            session.commit()
        except LedgerRecordsError as exc:
            session.rollback()
            raise click.ClickException(str(describe(exc, rows))) from exc
        except SQLAlchemyError as exc:  # every row was checked first; this is the database itself
            session.rollback()
            raise click.ClickException(f"nothing was imported: the database refused it ({type(exc).__name__})") from exc
    click.echo(
        f"imported {len(parsed)} records: deposit addresses {vars(addresses)}, deposits {vars(deposits)}, payouts {vars(payouts)}"
    )
