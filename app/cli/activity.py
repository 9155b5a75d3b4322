"""`depositdesk activity verify | prune`: the trail's hash chain checked, and retention applied."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import func
from sqlmodel import Session, select

from app.cli.common import cli_settings, open_engine


@click.group()
def activity() -> None:
    """The activity trail."""


@activity.command("verify")
def activity_verify() -> None:
    """Recompute every row's hash and link; name each changed or missing row (exit 1 if any)."""
    from app.runtime.activity import Activity, verify

    with Session(open_engine(cli_settings())) as session:
        problems = verify(session)
        count = session.exec(select(func.count()).select_from(Activity)).one()
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"the trail is not whole: {len(problems)} row(s) changed or missing")
    click.echo(f"the trail is whole: {count} rows, each chained to the one before")


@activity.command("prune")
def activity_prune() -> None:
    """Remove the rows older than ACTIVITY_RETENTION_DAYS (a row says so); nothing when it is 0."""
    from app.runtime.activity import Who, prune

    settings = cli_settings()
    if not settings.activity_retention_days:
        click.echo("ACTIVITY_RETENTION_DAYS is 0: the trail is kept for good, nothing removed")
        return
    with Session(open_engine(settings)) as session:
        removed = prune(session, timedelta(days=settings.activity_retention_days), Who.cli())
    click.echo(f"removed {removed} rows older than {settings.activity_retention_days} days")
