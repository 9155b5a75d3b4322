"""`depositdesk audit status | backfill`: the deposit auditor's commands."""

from __future__ import annotations

import sys

import click
from sqlmodel import Session

from chains.base import Chain


@click.group()
def audit() -> None:
    """The deposit auditor: its followers, findings and backfills."""


@audit.command("status")
def audit_status() -> None:
    """Each chain's follower (cursor, tip, lag, lease) and the open findings by code."""
    from sqlalchemy import func
    from sqlmodel import select

    from app.cli.common import cli_settings, open_engine
    from investigations.audit.models import MATCHED, OPEN, AuditCursor, AuditPayment, Finding

    settings = cli_settings()
    with Session(open_engine(settings)) as session:
        followers = {row.chain: row for row in session.exec(select(AuditCursor))}
        codes = session.exec(select(Finding.code, func.count()).where(Finding.status == OPEN).group_by(Finding.code))
        waiting = session.exec(select(func.count()).where(AuditPayment.status == MATCHED)).one()
        enabled = "enabled" if settings.audit_enabled else "disabled (AUDIT_ENABLED=false)"
        click.echo(f"auditor {enabled}; grace {settings.audit_grace_minutes:g} min")
        for chain in settings.audit_chains:
            row = followers.get(chain.value)
            if row is None or row.height is None:
                click.echo(f"{chain.value}: not started")
                continue
            lag = "?" if row.tip_height is None else max(0, row.tip_height - row.height)
            lease = f"lease {row.lease_owner} until {row.lease_until:%H:%M:%S}" if row.lease_owner else "no lease"
            click.echo(
                f"{chain.value}: block {row.height} {row.block_hash}, tip {row.tip_height}, {lag} behind, "
                f"{row.blocks_scanned} scanned, {lease}"
            )
            if row.uncovered:
                click.echo(f"  not covered: {row.uncovered}")
        click.echo(f"payments waiting for confirmations or the grace: {waiting}")
        click.echo("open findings: " + (", ".join(f"{code} {count}" for code, count in codes) or "none"))


@audit.command("backfill")
@click.option("--chain", type=click.Choice([c.value for c in Chain]), default="btc", show_default=True)
@click.option("--from-height", type=click.IntRange(0), required=True)
@click.option("--to-height", type=click.IntRange(0), help="Default: where the follower is (or the tip).")
@click.option("--no-wait", is_flag=True, help="Only queue the jobs; `depositdesk worker` processes run them.")
def audit_backfill(chain: str, from_height: int, to_height: int | None, no_wait: bool) -> None:
    """Match a range of past blocks: split into jobs that every worker shares, this process included."""
    import time

    from sqlmodel import col, select

    from app.cli.common import cli_settings, open_engine
    from app.finance.auditor import BACKFILL, enqueue_backfill
    from app.runtime import jobs
    from app.runtime.workers import Worker
    from app.wiring import build_auditor, build_investigator
    from chains.base import Chain, ChainError
    from investigations.audit import cursors

    settings = cli_settings()
    engine = open_engine(settings)
    auditor = build_auditor(settings, engine, build_investigator(settings))
    which = Chain(chain)
    if which not in auditor.sources:
        raise click.ClickException(f"--chain {chain}: not in AUDIT_CHAINS or no providers configured")
    with Session(engine) as session:
        if to_height is None:
            try:
                to_height = cursors.cursor(session, which).height or auditor.sources[which].tip_height()
            except ChainError as exc:
                raise click.ClickException(f"--to-height not given and the tip is unknown: {exc}") from exc
        if to_height < from_height:
            raise click.ClickException(f"--to-height {to_height} is below --from-height {from_height}")
        ids = enqueue_backfill(session, which, from_height, to_height)
        session.commit()
    total = to_height - from_height + 1
    click.echo(f"queued {len(ids)} backfill job(s) for {total} {chain} block(s)", err=True)
    if no_wait:
        return
    worker = Worker(engine, auditor.handlers(), kinds=[BACKFILL])
    with click.progressbar(length=total, label="blocks", file=sys.stderr) as bar:
        shown = 0
        while True:
            with Session(engine) as session:
                rows = session.exec(select(jobs.Job).where(col(jobs.Job.id).in_(ids))).all()
            finished = [j for j in rows if j.status in (jobs.DONE, jobs.DEAD)]
            blocks = sum(j.payload["end"] - j.payload["start"] + 1 for j in finished)
            bar.update(blocks - shown)
            shown = blocks
            if len(finished) == len(ids):
                break
            if not worker.run_once():
                time.sleep(0.5)
    dead = [j.id for j in rows if j.status == jobs.DEAD]
    if dead:
        raise click.ClickException(f"backfill jobs failed: {dead} (see `depositdesk jobs list --dead`)")
    click.echo(f"backfilled {chain} blocks {from_height}..{to_height}")
