"""What every command shares: the settings (a clean error when they are wrong), the database, worker options."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

import click
from sqlalchemy.engine import Engine

from app.runtime.db import SchemaOutdated, make_engine, prepare_schema
from app.runtime.redaction import install as redact_configured
from app.settings import Settings, SettingsError, load_settings

EXIT_USAGE = 2


def cli_settings() -> Settings:
    """The settings, or a clean error naming each bad variable."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    redact_configured(settings)  # the configured URLs' paths, queries and credentials never reach a log
    return settings


def open_engine(settings: Settings):  # type: ignore[no-untyped-def]
    """The database, migrated here on SQLite; on PostgreSQL only checked (`depositdesk migrate` migrates)."""
    engine = make_engine(settings.database_url, pool_size=settings.pool_size())
    try:
        prepare_schema(engine, migrate_now=settings.migrates_on_start())
    except SchemaOutdated as exc:
        engine.dispose()
        raise click.ClickException(str(exc)) from exc
    return engine


def worker_options(settings: Settings) -> dict[str, object]:
    from datetime import timedelta

    return {"lease": timedelta(seconds=settings.job_lease_seconds), "base_delay": settings.job_retry_base_seconds}


def audit_options(settings: Settings, engine, investigator) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The deposit auditor: its job handlers always, its follower loop when AUDIT_ENABLED."""
    from app.wiring import build_auditor

    auditor = build_auditor(settings, engine, investigator)
    return {"auditor": auditor, "audit_every": settings.audit_poll_seconds if settings.audit_enabled else None}


def run_background(
    settings: Settings,
    *,
    threads: int,
    banner: str,
    foreground: Callable[[Engine, threading.Event], None] | None = None,
) -> None:
    """Job workers, re-checks (and the auditor's handlers and follower) in this process until Ctrl-C or
    SIGTERM; `foreground` runs meanwhile in this thread (e.g. the bot's long polling)."""
    from app.runtime.workers import Background
    from app.wiring import build_investigator, build_work

    engine = open_engine(settings)
    investigator = build_investigator(settings)
    background = Background(
        engine,
        investigator,
        build_work(settings, investigator),
        threads=threads,
        **worker_options(settings),
        **audit_options(settings, engine, investigator),  # every job kind has its handler in every worker
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    background.start()
    click.echo(banner, err=True)
    try:
        if foreground is None:
            stopped.wait()
        else:
            foreground(engine, stopped)
    except KeyboardInterrupt:
        pass
    finally:
        background.shutdown()
