"""`depositdesk`: serve, check, agents add, ledger import."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from sqlmodel import Session

from app.api.schemas import InvestigationOut
from app.runtime.db import SchemaOutdated, make_engine, migrate, prepare_schema
from app.runtime.ledger_files import ImportError_, parse, read_rows
from app.settings import Settings, SettingsError, load_settings
from investigations.catalogs import LANGUAGES
from investigations.messages import reply_in

_EXIT_USAGE = 2


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    """The database, migrated here on SQLite; on PostgreSQL only checked (`depositdesk migrate` migrates)."""
    engine = make_engine(settings.database_url, pool_size=settings.pool_size())
    try:
        prepare_schema(engine, migrate_now=settings.migrates_on_start())
    except SchemaOutdated as exc:
        engine.dispose()
        raise click.ClickException(str(exc)) from exc
    return engine


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

    settings = _settings()
    settings.resolved_secret_key()  # generated once here, before any web process reads it
    engine = _engine(settings)
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
        **_worker_options(settings),
        **_audit_options(settings, engine, investigator),
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


def _audit_options(settings: Settings, engine, investigator) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The deposit auditor: its job handlers always, its follower loop when AUDIT_ENABLED."""
    from app.wiring import build_auditor

    auditor = build_auditor(settings, engine, investigator)
    return {"auditor": auditor, "audit_every": settings.audit_poll_seconds if settings.audit_enabled else None}


@main.command(name="migrate")
def migrate_command() -> None:
    """Bring the database schema to this version: run it once before starting replicas on PostgreSQL."""
    settings = _settings()
    engine = make_engine(settings.database_url, pool_size=1)
    migrate(engine)
    engine.dispose()
    click.echo("database schema is up to date")


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

    settings = _settings().model_copy(update={"worker_threads": threads})  # the pool is sized to these threads
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
@click.option("--lang", default="en", type=click.Choice(LANGUAGES), show_default=True)
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
    request = InvestigationRequest(tx_hash, address, chain, player_ref, ticket_ref, channel="cli")
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
    lines += [
        "",
        f"  reply ({lang}): {reply_in(verdict['player_message'], lang)}",
        f"  status link: {result['status_url']}",
    ]
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


@agents.command("list")
def agents_list() -> None:
    """Every agent: name, created, whether it can sign in with a password, revoked or active."""
    from app.runtime.accounts import list_agents

    with Session(_engine(_settings())) as session:
        rows = list_agents(session)
    if not rows:
        click.echo("no agents yet: depositdesk agents add NAME")
    for agent in rows:
        state = f"revoked {agent.revoked_at:%Y-%m-%d %H:%M}" if agent.revoked_at else "active"
        password = "password" if agent.password_hash else "token only"
        click.echo(f"{agent.name:<24} created {agent.created_at:%Y-%m-%d}  {password:<10}  {state}")


@agents.command("revoke")
@click.argument("name")
def agents_revoke(name: str) -> None:
    """Stop an agent now: its token, its signed-in sessions and its sign-in."""
    from app.runtime.accounts import revoke_agent

    with Session(_engine(_settings())) as session:
        try:
            agent = revoke_agent(session, name)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"agent {agent.name!r} revoked: its token and sessions no longer work")


@agents.command("rotate")
@click.argument("name")
def agents_rotate(name: str) -> None:
    """A new API token for an agent (shown once); the old one and every session stop now."""
    from app.runtime.accounts import rotate_token

    with Session(_engine(_settings())) as session:
        try:
            token = rotate_token(session, name)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"new API token for {name.strip()!r} (shown once; the old one no longer works):", err=True)
    click.echo(token)


@agents.command("password")
@click.argument("name")
def agents_password(name: str) -> None:
    """Set an agent's password (asked twice); the agent's signed-in sessions end."""
    from app.runtime.accounts import hash_password, set_password

    secret = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if len(secret) < 10:
        raise click.ClickException("the password must have at least 10 characters")
    with Session(_engine(_settings())) as session:
        try:
            set_password(session, name, hash_password(secret))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"password of {name.strip()!r} changed; its sessions ended")


@main.group()
def ledger() -> None:
    """Load the casino's deposit records."""


@ledger.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def ledger_import(file: Path) -> None:
    """Import deposit addresses and deposits from CSV or JSON: every row, or none."""
    from sqlalchemy.exc import SQLAlchemyError

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
        except SQLAlchemyError as exc:  # every row was checked first; this is the database itself
            session.rollback()
            raise click.ClickException(f"nothing was imported: the database refused it ({type(exc).__name__})") from exc
    click.echo(f"imported {len(parsed)} records: deposit addresses {vars(addresses)}, deposits {vars(deposits)}")


@main.group(invoke_without_command=True)
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64))
@click.pass_context
def bot(ctx: click.Context, threads: int) -> None:
    """Run the players' Telegram bot by long polling (with job workers to answer), until Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    import signal
    import threading

    from app.players.telegram.poller import poll
    from app.runtime.workers import Background
    from app.wiring import build_bot_api, build_investigator, build_work

    settings = _telegram_settings()
    engine = _engine(settings)
    investigator = build_investigator(settings)
    background = Background(
        engine, investigator, build_work(settings, investigator), threads=threads, **_worker_options(settings)
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    background.start()
    click.echo("Telegram bot polling for messages; Ctrl-C or SIGTERM stops it", err=True)
    try:
        poll(build_bot_api(settings), engine, stopped)
    except KeyboardInterrupt:
        pass
    finally:
        background.shutdown()


@bot.command("set-webhook")
@click.argument("url", required=False)
def bot_set_webhook(url: str | None) -> None:
    """Point Telegram at this service's /telegram/webhook (default: PUBLIC_BASE_URL's), with the secret."""
    from app.wiring import build_bot_api

    settings = _telegram_settings()
    if not settings.telegram_webhook_secret:
        raise click.ClickException("set TELEGRAM_WEBHOOK_SECRET first: Telegram sends it back with every update")
    target = url or f"{settings.public_base_url}/telegram/webhook"
    if not target.startswith("https://"):
        raise click.ClickException(f"Telegram only delivers to https:// URLs, not {target!r}")
    build_bot_api(settings).set_webhook(target, settings.telegram_webhook_secret)
    click.echo(f"Telegram delivers updates to {target}")


@bot.command("delete-webhook")
def bot_delete_webhook() -> None:
    """Stop webhook delivery (long polling with `depositdesk bot` needs this; it does it itself)."""
    from app.wiring import build_bot_api

    build_bot_api(_telegram_settings()).delete_webhook()
    click.echo("Telegram webhook removed")


def _telegram_settings() -> Settings:
    settings = _settings()
    if not settings.telegram_bot_token:
        raise click.ClickException("set TELEGRAM_BOT_TOKEN (from @BotFather) first")
    return settings


# The no-hash search: its own module (it is long), registered here.
from app.search_cli import search_command  # noqa: E402

main.add_command(search_command)
from app.cli_audit import audit  # noqa: E402  (the deposit auditor's commands, in a file of their own)

main.add_command(audit)


@main.group()
def evidence() -> None:
    """Signed evidence files for disputes."""


@evidence.command("key")
def evidence_key() -> None:
    """Print the public key that checks evidence files (created once, like the secret key)."""
    from app.runtime.evidence_signing import load_or_create

    key = load_or_create(_settings().resolved_evidence_key_path())
    described = key.describe()
    click.echo(f"{described['algorithm']} key {described['key_id']}:", err=True)
    click.echo(described["public_key"])


@evidence.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    help="Base64 public key to trust (from /.well-known/depositdesk-evidence-key); "
    "default: this installation's own key.",
)
def evidence_verify(file: Path, public_key: str | None) -> None:
    """Check an evidence file offline: exit 0 when its signature is good, 1 when it is not."""
    from app.runtime.evidence_signing import EvidenceSignatureError, load_or_create, verify

    if public_key is None:
        path = _settings().resolved_evidence_key_path()
        if not path.exists():
            raise click.ClickException(f"no evidence key at {path}: pass --public-key")
        public_key = load_or_create(path).public_key
    try:
        signed = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        click.echo(f"INVALID: {file} is not JSON ({exc})", err=True)
        sys.exit(1)
    try:
        document = verify(signed, public_key)
    except EvidenceSignatureError as exc:
        click.echo(f"INVALID: {exc}", err=True)
        sys.exit(1)
    click.echo(f"valid: investigation {document.get('investigation')}, generated {document.get('generated_at')}")
