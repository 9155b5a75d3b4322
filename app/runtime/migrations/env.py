"""Alembic environment: the engine comes from app.runtime.db (no alembic.ini, no URL duplication)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import app.helpdesks.models  # noqa: F401
import app.players.chat_links  # noqa: F401
import app.players.discord.models  # noqa: F401
import app.players.models  # noqa: F401
import app.players.telegram.models  # noqa: F401
import app.runtime.accounts  # noqa: F401  (registers the agent tables)
import app.runtime.activity  # noqa: F401
import app.runtime.jobs  # noqa: F401
import app.runtime.tokens  # noqa: F401
import investigations.audit.models  # noqa: F401
import investigations.ledger  # noqa: F401
import investigations.models  # noqa: F401
import investigations.provider_log  # noqa: F401
import investigations.sightings  # noqa: F401
import investigations.verdict_log  # noqa: F401

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
