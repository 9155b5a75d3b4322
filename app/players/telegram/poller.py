"""Long polling (`depositdesk bot`): getUpdates in a loop, each update stored and queued exactly as
the webhook does; the offset only moves past updates once they are stored."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.players.telegram.bot_api import BotApi
from app.players.telegram.work import accept_update
from app.runtime.jobs import JobError

log = logging.getLogger(__name__)


def poll_once(api: BotApi, engine: Engine, offset: int | None, *, timeout: int = 25) -> int | None:
    """Fetch and store one batch of updates; returns the next offset."""
    for data in api.updates(offset, timeout=timeout):
        with Session(engine) as session:
            accept_update(session, data)
        offset = int(data["update_id"]) + 1
    return offset


def poll(api: BotApi, engine: Engine, stop: threading.Event, *, timeout: int = 25) -> None:
    api.delete_webhook()  # getUpdates is refused while a webhook is set
    offset: int | None = None
    while not stop.is_set():
        try:
            offset = poll_once(api, engine, offset, timeout=timeout)
        except JobError as exc:
            log.warning("telegram: polling failed (%s); trying again", exc)
            stop.wait(exc.retry_after or 3.0)
