"""The service's own commands: serve, migrate, worker, recheck, jobs, check."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from sqlmodel import Session

from app.agents.schemas import InvestigationOut
from app.cli.common import EXIT_USAGE, audit_options, cli_settings, open_engine, run_background, worker_options
from app.runtime.db import make_engine, migrate
from chains.base import Chain
from investigations.catalogs import LANGUAGES
from investigations.messages import reply_in


@click.group()
def main() -> None:
    """depositdesk: investigate crypto deposits for casino support."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), envvar="PORT")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    envvar="WEB_WORKERS",
    help="Web processes sharing the port (job workers and re-checks stay in this process).",
)
def serve(host: str, port: int, workers: int) -> None:
    """Start the service (on SQLite it applies database migrations first)."""
    import uvicorn

    from app.main import create_app
    from app.runtime.workers import Background
    from app.wiring import build_investigator, build_work

    settings = cli_settings()
    from app.cli.networks import check_networks_at_start

    for problem in check_networks_at_start(settings):  # a provider serving another chain stops here
        click.echo(f"warning: {problem}", err=True)
    settings.resolved_secret_key()  # generated once here, before any web process reads it
    engine = open_engine(settings)
    served = dict(host=host, port=port, proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips)
    if workers == 1:
        app = create_app(settings, engine=engine, migrate_schema=False)
        investigator, work = app.state.investigator, app.state.work
    else:
        investigator = build_investigator(settings)
        work = build_work(settings, investigator)
    background = Background(
        engine,
        investigator,
        work,
        threads=settings.worker_threads,
        **worker_options(settings),
        **audit_options(settings, engine, investigator),
    )
    background.start()
    docs = "API docs at /docs" if settings.docs_served else "API docs off: DOCS_ENABLED=true serves them"
    click.echo(f"depositdesk on http://{host}:{port}  ({docs}, {workers} web process(es))", err=True)
    try:
        if workers == 1:
            uvicorn.run(app, **served)  # type: ignore[arg-type]
        else:
            uvicorn.run("app.main:app_from_environment", factory=True, workers=workers, **served)  # type: ignore[arg-type]
    finally:
        background.shutdown()


@main.command(name="migrate")
def migrate_command() -> None:
    """Bring the database schema to this version: run it once before starting replicas on PostgreSQL."""
    settings = cli_settings()
    engine = make_engine(settings.database_url, pool_size=1)
    migrate(engine)
    engine.dispose()
    click.echo("database schema is up to date")


@main.command()
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def worker(threads: int) -> None:
    """Run job workers and re-checks in this process (scale-out: several of these on PostgreSQL)."""
    settings = cli_settings().model_copy(update={"worker_threads": threads})  # the pool is sized to these threads
    run_background(
        settings, threads=threads, banner=f"worker running with {threads} thread(s); Ctrl-C or SIGTERM stops it"
    )


@main.command()
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
def recheck(limit: int) -> None:
    """Re-check the non-final investigations that are due (serve and worker do this every 30 s)."""
    from app.runtime.workers import recheck_round
    from app.wiring import build_investigator, build_work

    settings = cli_settings()
    investigator = build_investigator(settings)
    done = recheck_round(open_engine(settings), investigator, build_work(settings, investigator), limit=limit)
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

    settings = cli_settings()
    with Session(open_engine(settings)) as session:
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

    settings = cli_settings()
    with Session(open_engine(settings)) as session:
        try:
            job = jobs.retry(session, job_id)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    click.echo(f"job {job_id} queued again")


@main.command()
@click.argument("tx_hash", required=False)
@click.option("--payout", "payout_id", help="A payout record's id (a withdrawal, e.g. w-77) instead of a hash.")
@click.option("--address", "-a", help="Wallet address from the ticket (casino deposit or player's own).")
@click.option("--player", "-p", "player_ref", help="Player reference of the ticket.")
@click.option("--chain", "-c", type=click.Choice([c.value for c in Chain], case_sensitive=False))
@click.option("--ticket", "ticket_ref", help="Helpdesk ticket reference.")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as the API.")
@click.option("--lang", default="en", type=click.Choice(LANGUAGES), show_default=True)
def check(
    tx_hash: str | None,
    payout_id: str | None,
    address: str | None,
    player_ref: str | None,
    chain: str | None,
    ticket_ref: str | None,
    as_json: bool,
    lang: str,
) -> None:
    """Investigate one transaction (or, with --payout, one withdrawal) and print the verdict."""
    from app.wiring import build_investigator
    from investigations.service import InvalidInput, InvestigationRequest

    if not tx_hash and not payout_id:
        raise click.UsageError("give a transaction hash, or --payout with a payout record's id")
    settings = cli_settings()
    investigator = build_investigator(settings)
    request = InvestigationRequest(tx_hash or "", address, chain, player_ref, ticket_ref, channel="cli", run_by="cli")
    with Session(open_engine(settings)) as session:
        try:
            if payout_id:
                payout = investigator.payout(session, payout_id)
                record = investigator.investigate_payout(
                    session, payout, channel="cli", ticket_ref=ticket_ref, run_by="cli"
                )
            else:
                record = investigator.investigate(session, request)
        except InvalidInput as exc:
            if as_json:
                click.echo(
                    json.dumps({"message": str(exc), "verdict": exc.verdict.as_dict()}, indent=2, ensure_ascii=False)
                )
            else:
                click.echo(f"invalid_input: {exc}", err=True)
            sys.exit(EXIT_USAGE)
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
    payout = evidence.get("payout")
    if payout:
        lines.append(
            f"  payout {payout['payout_id']} ({payout['status']}): {payout['amount']} {payout['asset']} "
            f"to {payout['to_address']}"
        )
        if evidence.get("eta_minutes"):
            lines.append(f"  ETA: about {evidence['eta_minutes']} min")
    for paid in [] if payout else evidence.get("paid", []):
        credited = paid["ledger_credited"] or "not credited"
        lines.append(
            f"  paid {paid['amount']} {paid['asset']} to {paid['address']} (player {paid['player_ref']}), ledger: {credited}"
        )
    for answer in evidence.get("providers", []):
        lines.append(f"  provider {answer['provider']}: {answer['answer']} {answer.get('detail', '')}".rstrip())
    if evidence.get("explorer_url"):
        lines.append(f"  explorer: {evidence['explorer_url']}")
    lines += [
        "",
        f"  reply ({lang}): {reply_in(verdict['player_message'], lang)}",
        f"  status link: {result['status_url']}",
    ]
    return "\n".join(lines)
