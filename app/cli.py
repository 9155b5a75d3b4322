"""`depositdesk`: serve, check, agents add, ledger import."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from sqlmodel import Session

from app.api.schemas import InvestigationOut
from app.runtime.db import make_engine, migrate
from app.runtime.ledger_files import ImportError_, parse, read_rows
from app.settings import Settings, SettingsError, load_settings

_EXIT_USAGE = 2


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


@click.group()
def main() -> None:
    """depositdesk: investigate crypto deposits for casino support."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Start the service (applies database migrations first)."""
    import uvicorn

    from app.main import create_app
    from app.runtime.workers import Background

    settings = _settings()
    settings.resolved_secret_key()
    app = create_app(settings)
    background = Background(
        app.state.engine,
        app.state.investigator,
        app.state.work,
        threads=settings.worker_threads,
        **_worker_options(settings),
        **_audit_options(settings, app.state.engine, app.state.investigator),
    )
    background.start()
    click.echo(f"depositdesk on http://{host}:{port}  (API docs at /docs)", err=True)
    try:
        uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips)
    finally:
        background.shutdown()


def _audit_options(settings: Settings, engine, investigator) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The deposit auditor: its job handlers always, its follower loop when AUDIT_ENABLED."""
    from app.wiring import build_auditor

    auditor = build_auditor(settings, engine, investigator)
    return {"auditor": auditor, "audit_every": settings.audit_poll_seconds if settings.audit_enabled else None}


def _worker_options(settings: Settings) -> dict[str, object]:
    from datetime import timedelta

    return {"lease": timedelta(seconds=settings.job_lease_seconds), "base_delay": settings.job_retry_base_seconds}


@main.command()
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64))
def worker(threads: int) -> None:
    """Run job workers and re-checks in this process (scale-out: several of these on PostgreSQL)."""
    import signal
    import threading

    from app.runtime.workers import Background
    from app.wiring import build_investigator, build_work

    settings = _settings()
    engine = _engine(settings)
    investigator = build_investigator(settings)
    background = Background(
        engine,
        investigator,
        build_work(settings, investigator),
        threads=threads,
        **_worker_options(settings),
        **_audit_options(settings, engine, investigator),
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    background.start()
    click.echo(f"worker running with {threads} thread(s); Ctrl-C or SIGTERM stops it", err=True)
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        background.shutdown()


@main.command()
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
def recheck(limit: int) -> None:
    """Re-check the non-final investigations that are due (serve and worker do this every 30 s)."""
    from app.runtime.workers import recheck_round
    from app.wiring import build_investigator, build_work

    settings = _settings()
    investigator = build_investigator(settings)
    done = recheck_round(_engine(settings), investigator, build_work(settings, investigator), limit=limit)
    click.echo(f"re-checked {done} investigation(s)")


@main.group(name="jobs")
def jobs_group() -> None:
    """Inspect the job queue and its dead letters."""


@jobs_group.command("list")
@click.option("--dead", is_flag=True, help="Only dead-lettered jobs.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def jobs_list(dead: bool, limit: int) -> None:
    """List recent jobs (newest first)."""
    from app.runtime import jobs

    settings = _settings()
    with Session(_engine(settings)) as session:
        rows = jobs.listing(session, dead_only=dead, limit=limit)
        counts = jobs.depth(session)
    click.echo("queue: " + (", ".join(f"{status} {count}" for status, count in sorted(counts.items())) or "empty"))
    for job in rows:
        error = f"  last error: {job.last_error}" if job.last_error else ""
        click.echo(
            f"{job.id:>7}  {job.kind:<8} {job.status:<8} attempts {job.attempts}/{job.max_attempts}  "
            f"created {job.created_at:%Y-%m-%d %H:%M}{error}"
        )


@jobs_group.command("retry")
@click.argument("job_id", type=int)
def jobs_retry(job_id: int) -> None:
    """Put a (dead) job back in the queue with fresh attempts."""
    from app.runtime import jobs

    settings = _settings()
    with Session(_engine(settings)) as session:
        try:
            job = jobs.retry(session, job_id)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    click.echo(f"job {job_id} queued again")


@main.command()
@click.argument("tx_hash")
@click.option("--address", "-a", help="Wallet address from the ticket (casino deposit or player's own).")
@click.option("--player", "-p", "player_ref", help="Player reference of the ticket.")
@click.option("--chain", "-c", type=click.Choice(["btc", "eth"], case_sensitive=False))
@click.option("--ticket", "ticket_ref", help="Helpdesk ticket reference.")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as the API.")
@click.option("--lang", default="en", type=click.Choice(["en", "de", "ru"]), show_default=True)
def check(
    tx_hash: str,
    address: str | None,
    player_ref: str | None,
    chain: str | None,
    ticket_ref: str | None,
    as_json: bool,
    lang: str,
) -> None:
    """Investigate one transaction and print the verdict."""
    from app.wiring import build_investigator
    from investigations.service import InvalidInput, InvestigationRequest

    settings = _settings()
    investigator = build_investigator(settings)
    request = InvestigationRequest(tx_hash, address, chain, player_ref, ticket_ref)
    with Session(_engine(settings)) as session:
        try:
            record = investigator.investigate(session, request)
        except InvalidInput as exc:
            if as_json:
                click.echo(
                    json.dumps({"message": str(exc), "verdict": exc.verdict.as_dict()}, indent=2, ensure_ascii=False)
                )
            else:
                click.echo(f"invalid_input: {exc}", err=True)
            sys.exit(_EXIT_USAGE)
        out = InvestigationOut.of(record, settings.public_base_url, investigator.status_token(record))
    if as_json:
        click.echo(json.dumps(out.model_dump(), indent=2, ensure_ascii=False))
    else:
        click.echo(render(out.model_dump(), lang))


def render(result: dict[str, Any], lang: str = "en") -> str:
    """A readable verdict for a terminal."""
    verdict, evidence = result["verdict"], result["evidence"]
    final = "final" if verdict["final"] else f"not final, re-check at {verdict['next_check_at']}"
    lines = [
        f"{verdict['code'].upper()}  ({final})",
        f"  {verdict['summary']}",
        f"  action: {verdict['action']}",
        "",
        f"  {result['chain']} tx {result['tx_hash']}",
    ]
    tx = evidence.get("tx")
    if tx:
        block = f", block {tx['block_height']}" if tx.get("block_height") is not None else ""
        lines.append(f"  status: {tx['status']}, confirmations {evidence.get('confirmations', '-')}{block}")
    for paid in evidence.get("paid", []):
        credited = paid["ledger_credited"] or "not credited"
        lines.append(
            f"  paid {paid['amount']} {paid['asset']} to {paid['address']} (player {paid['player_ref']}), ledger: {credited}"
        )
    for answer in evidence.get("providers", []):
        lines.append(f"  provider {answer['provider']}: {answer['answer']} {answer.get('detail', '')}".rstrip())
    if evidence.get("explorer_url"):
        lines.append(f"  explorer: {evidence['explorer_url']}")
    lines += ["", f"  reply ({lang}): {verdict['player_message'][lang]}", f"  status link: {result['status_url']}"]
    return "\n".join(lines)


@main.group()
def agents() -> None:
    """Manage agent access."""


@agents.command("add")
@click.argument("name")
@click.option("--password", is_flag=True, help="Also set a password for signing in to the web pages (asked twice).")
def agents_add(name: str, password: bool) -> None:
    """Create an agent and print its API token (shown only this once)."""
    from app.runtime.accounts import add_agent, hash_password

    secret = None
    if password:
        secret = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        if len(secret) < 10:
            raise click.ClickException("the password must have at least 10 characters")
    settings = _settings()
    with Session(_engine(settings)) as session:
        try:
            agent, token = add_agent(session, name, password_hash=hash_password(secret) if secret else None)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"agent {agent.name!r} created; its API token (shown once, store it now):", err=True)
    click.echo(token)


@main.group()
def ledger() -> None:
    """Load the casino's deposit records."""


@ledger.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def ledger_import(file: Path) -> None:
    """Import deposit addresses and deposits from CSV or JSON: every row, or none."""
    from app.runtime.ledger_files import describe
    from investigations.ledger import LedgerRecordsError, upsert_deposit_addresses, upsert_deposits

    settings = _settings()
    try:
        rows = read_rows(file)
        with click.progressbar(length=len(rows), label="validating", file=sys.stderr) as bar:
            parsed = parse(rows)
            bar.update(len(rows))
    except ImportError_ as exc:
        raise click.ClickException(str(exc)) from exc
    engine = _engine(settings)
    with Session(engine) as session, click.progressbar(length=len(parsed), label="importing", file=sys.stderr) as bar:
        try:
            rows = parsed.address_rows
            addresses = upsert_deposit_addresses(session, parsed.addresses, settings.assets)
            bar.update(len(parsed.addresses))
            rows = parsed.deposit_rows
            deposits = upsert_deposits(session, parsed.deposits, settings.assets)
            bar.update(len(parsed.deposits))
            session.commit()
        except LedgerRecordsError as exc:
            session.rollback()
            raise click.ClickException(str(describe(exc, rows))) from exc
        except Exception:
            session.rollback()
            raise
    click.echo(f"imported {len(parsed)} records: deposit addresses {vars(addresses)}, deposits {vars(deposits)}")


@main.group()
def audit() -> None:
    """The deposit auditor: its followers, findings and backfills."""


@audit.command("status")
def audit_status() -> None:
    """Each chain's follower (cursor, tip, lag, lease) and the open findings by code."""
    from sqlalchemy import func
    from sqlmodel import select

    from investigations.audit.models import MATCHED, OPEN, AuditCursor, AuditPayment, Finding

    settings = _settings()
    with Session(_engine(settings)) as session:
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
@click.option("--chain", type=click.Choice(["btc", "eth"]), default="btc", show_default=True)
@click.option("--from-height", type=click.IntRange(0), required=True)
@click.option("--to-height", type=click.IntRange(0), help="Default: where the follower is (or the tip).")
@click.option("--no-wait", is_flag=True, help="Only queue the jobs; `depositdesk worker` processes run them.")
def audit_backfill(chain: str, from_height: int, to_height: int | None, no_wait: bool) -> None:
    """Match a range of past blocks: split into jobs that every worker shares, this process included."""
    import time

    from sqlmodel import col, select

    from app.runtime import jobs
    from app.runtime.auditor import BACKFILL, enqueue_backfill
    from app.runtime.workers import Worker
    from app.wiring import build_auditor, build_investigator
    from chains.base import Chain, ChainError
    from investigations.audit import cursors

    settings = _settings()
    engine = _engine(settings)
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
