"""Shared test set-up: databases (SQLite always, PostgreSQL required in CI), recorded provider
fixtures from ../shared/fixtures (required in CI), and an Esplora world served by `responses`."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from app.runtime.db import alembic_config, make_engine, migrate
from app.settings import Settings
from app.wiring import build_investigator
from chains import http, providers
from tests.support.esplora import EsploraWorld
from tests.support.evm import EvmWorld

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
FIXTURES = Path(os.environ.get("DEPOSITDESK_FIXTURES", Path(__file__).resolve().parents[2] / "shared" / "fixtures"))
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PROVIDERS = ["esplora:https://esplora-one.test/api", "esplora:https://esplora-two.test/api"]
ETH_PROVIDERS = ["https://eth-one.test/rpc", "https://eth-two.test/rpc"]


def require(condition: bool, reason: str) -> None:
    """Skip on a developer's machine without the resource; fail in CI, where it must exist."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def fixtures_dir() -> Path:
    require(FIXTURES.is_dir(), f"recorded provider responses not found at {FIXTURES} (../shared/fixtures)")
    return FIXTURES


_alembic_upgrade = command.upgrade


def _sqlite_state(engine: Engine) -> str | None:
    """The empty string for an empty SQLite database, its Alembic revision when it has one, else None."""
    with engine.connect() as connection:
        tables = {row[0] for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return ""
        if "alembic_version" not in tables:
            return None
        revisions = [row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")]
        return revisions[0] if len(revisions) == 1 else None


@pytest.fixture(scope="session", autouse=True)
def _sqlite_schema_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Run the SQLite migrations once per session and give every new, empty SQLite database migrated
    to head a copy of that result (SQLite's backup API), instead of replaying ~20 migrations in each of
    a thousand tests. Only an empty database upgraded to "head" takes the copy (and one already at head is
    left as it is): a test that migrates to a given revision, or upgrades a database at an older one,
    runs the real migrations."""
    template = tmp_path_factory.mktemp("schema") / "head.db"
    engine = make_engine(f"sqlite:///{template}")
    _alembic_upgrade(alembic_config(engine), "head")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    head = _sqlite_state(engine)
    engine.dispose()
    assert head, "the SQLite template has no single Alembic revision"

    def upgrade(config, revision, *args, **kwargs):  # type: ignore[no-untyped-def]
        target = config.attributes.get("engine")
        state = (
            _sqlite_state(target)
            if revision == "head" and not args and not kwargs and isinstance(target, Engine)
            and target.dialect.name == "sqlite"
            else None
        )
        if state == head:
            return None  # already at head: what Alembic would conclude, without loading every script
        if state == "":
            source = sqlite3.connect(template)
            try:
                with target.connect() as connection:
                    source.backup(connection.connection.dbapi_connection)  # type: ignore[arg-type]
            finally:
                source.close()
            return None
        return _alembic_upgrade(config, revision, *args, **kwargs)

    patch = pytest.MonkeyPatch()
    patch.setattr(command, "upgrade", upgrade)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """A private schema in the `test` database, migrated once for the session."""
    schema = f"dd_test_{secrets.token_hex(4)}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        admin.dispose()
        require(False, f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}")
    engine = make_engine(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    migrate(engine)
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path}/depositdesk.db")
    migrate(engine)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_engine")
        return
    engine = request.getfixturevalue("postgres_engine")
    _empty(engine)
    yield engine
    _empty(engine)


@pytest.fixture
def session(sqlite_engine: Engine) -> Iterator[Session]:
    with Session(sqlite_engine) as session:
        yield session


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path}/unused.db",
        btc_providers=PROVIDERS,
        eth_providers=ETH_PROVIDERS,
        min_deposits={"BTC": 10_000, "ETH": 2 * 10**15, "USDT": 10_000_000, "USDC": 10_000_000},
        btc_confirmations=2,
        public_base_url="https://desk.example",
        secret_key="test-secret-key-0123456789abcdef",
        provider_backoff_seconds=0.001,
        # A deadline no healthy fake reaches on a stalled machine (a budget of 5 s gave each call 2.5 s):
        # only a broken test waits this long.
        provider_timeout_seconds=60,
        lookup_budget_seconds=120,
        eth_history_providers=[],
        # No rate limits here: whether a second provider is asked at once depends on its budget's room,
        # which refills with the wall clock (tests/chains/test_speculative.py drives it with a fake one).
        btc_rate_limit=0,
        eth_rate_limit=0,
        btc_tip_max_age_seconds=0,  # tests move the tip between lookups; tests/chains/test_tips.py covers sharing
        _env_file=None,
    )


@pytest.fixture(autouse=True)
def patient_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    """A decided lookup waits for the providers still answering until their own deadline, not their
    hedge delay: on a busy machine no verdict then depends on how fast the second answer came
    (tests/chains/test_answer_order.py drives the bounded wait itself)."""
    monkeypatch.setattr(providers, "DEFAULT_PATIENCE", providers.UntilDeadline())


@pytest.fixture
def http_mock() -> Iterator[responses.RequestsMock]:
    """Every HTTP request of a test goes to the fake providers; anything else fails."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
        # Calls a lookup abandoned (a slower provider) may still be running: let them end against
        # this test's fakes, not the next test's.
        http.RUNNING.wait_idle(10)


@pytest.fixture
def evm(http_mock: responses.RequestsMock) -> EvmWorld:
    """Both configured Ethereum providers serving one shared view of an EVM chain."""
    world = EvmWorld()
    for url in ETH_PROVIDERS:
        world.serve(http_mock, url)
    return world


@pytest.fixture
def chain(http_mock: responses.RequestsMock, evm: EvmWorld) -> EsploraWorld:
    """Both configured Esplora providers serving one shared view of a Bitcoin chain."""
    world = EsploraWorld(tip_height=850_010)
    world.serve(http_mock, [p.partition(":")[2] for p in PROVIDERS])
    return world


@pytest.fixture
def investigator(settings: Settings):  # type: ignore[no-untyped-def]
    return build_investigator(settings)
