"""`depositdesk dashboard rebuild`: the SLA figures' daily rollups recomputed from the source rows."""

from __future__ import annotations

from datetime import date

import click

from app.cli.common import cli_settings, open_engine


@click.group()
def dashboard() -> None:
    """The SLA dashboard's daily rollups."""


@dashboard.command("rebuild")
@click.option(
    "--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First UTC day (default: the first with data)."
)
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last UTC day (default: the last with data).")
def dashboard_rebuild(first, last) -> None:  # type: ignore[no-untyped-def]
    """Recompute every day's rollups (after an upgrade, a restore or a bulk import); safe while the
    service runs: writes made meanwhile stay queued and are recomputed when read."""
    from app.lead.sla import rollups

    first_day: date | None = first.date() if first else None
    last_day: date | None = last.date() if last else None
    if first_day and last_day and first_day > last_day:
        raise click.BadParameter(f"{first_day} is after {last_day}", param_hint="--from")
    days = rollups.rebuild(open_engine(cli_settings()), first_day, last_day)
    click.echo(f"rebuilt the dashboard's rollups of {days} days")
