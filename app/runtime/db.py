"""Engine, sessions (and the request-scoped session dependency) and migrations (Alembic)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
_SYNC_FULL = "depositdesk_synchronous_full"  # a pooled SQLite connection left at synchronous=FULL
_MIGRATION_LOCK = 0x64657031  # PostgreSQL advisory lock key: one migrating process at a time


class SchemaOutdated(Exception):
    """The database is not at the newest migration and this process may not migrate it."""


def make_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(database_url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL with synchronous=NORMAL: a commit survives the process dying and never corrupts the
            # file, and costs no fsync (2 ms each here, and SQLite has one writer at a time). The
            # commits that must survive a power cut too say so (`commit_durably`).
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "checkout")
        def _sqlite_sync_normal(connection, record, _proxy):  # type: ignore[no-untyped-def]
            # Back to NORMAL after a durable commit; only then (a statement per checkout, and a job
            # checks a connection out for each of its commits).
            if record.info.pop(_SYNC_FULL, False):
                connection.execute("PRAGMA synchronous=NORMAL")

        return engine
    # A bounded pool sized by the caller, no ping per checkout (a connection the server closed fails
    # once and is replaced), recycled before common idle timeouts; waiting for one is bounded too.
    return create_engine(database_url, pool_size=pool_size, max_overflow=4, pool_timeout=10, pool_recycle=1800)


def durable(connection: Connection) -> None:
    """Make this connection's next commit survive a power cut, not only a crash (SQLite: the WAL is
    synced at that commit, and with it every commit before; PostgreSQL always syncs). For what must
    not be lost once answered or before a write to the outside: an acknowledged webhook, the mark
    set before a note or public reply is posted (so a retry looks for it instead of posting twice)."""
    if connection.dialect.name != "sqlite":
        return
    if connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        # SQLite refuses to change it inside a transaction; the commit is then as safe as any other.
        log.warning("durable() called after the transaction's first write; this commit is not synced")
        return
    connection.exec_driver_sql("PRAGMA synchronous=FULL")
    connection.info[_SYNC_FULL] = True  # back to NORMAL at the next checkout


def commit_durably(session: Session) -> None:
    durable(session.connection())
    session.commit()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent). On PostgreSQL under an advisory lock:
    processes migrating at once take turns, and the later ones find nothing left to do."""
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), "head")
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
        try:
            command.upgrade(alembic_config(engine), "head")
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
            lock.commit()


def pending_migrations(engine: Engine) -> tuple[set[str], set[str]]:
    """(the database's revisions, the code's heads); equal when nothing is pending."""
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current, heads


def prepare_schema(engine: Engine, *, migrate_now: bool) -> None:
    """Migrate, or (for replicas that must not race on migrations) check that someone has."""
    if migrate_now:
        migrate(engine)
        return
    current, heads = pending_migrations(engine)
    if current != heads:
        raise SchemaOutdated(
            f"the database schema is at {', '.join(sorted(current)) or 'nothing'} and this version needs "
            f"{', '.join(sorted(heads))}: run `depositdesk migrate` first (once, before starting the replicas)"
        )


def sessions(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
