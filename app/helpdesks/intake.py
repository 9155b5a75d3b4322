"""Webhook intake: the delivery (unique per helpdesk and delivery id, and per what its signature
covers, so a replay under a fresh id is recognised too) and its ticket job are written in one
transaction, so a delivery acknowledged with 2xx is never lost and a repeated one is recognised.

The hot path is two SQLAlchemy Core INSERTs (no ORM unit of work). `IntakeWriter` runs them on one
thread per process: a request hands its delivery over and awaits the answer on the event loop (no
thread-pool hop per request); the writer takes whatever has queued up meanwhile and writes it in one
short transaction, so under load one commit serves many webhooks. The queue is bounded: when it is
full a request is refused at once (`IntakeBusy`, a 503 with Retry-After) instead of waiting seconds.

A Freshdesk delivery (no delivery id, no text: the ticket is read from the API) adds no job while a
ticket job for the same ticket is still queued: that job has not read the ticket yet and will read it
as it is then. This is Freshdesk's de-duplication: bursts of updates and webhook retries cost one
ticket read, and no update is lost. (Other helpdesks skip the look-up: it costs time on a deep queue.)
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.helpdesks.clients.base import Delivery
from app.helpdesks.models import WebhookDelivery
from app.runtime.db import durable
from app.runtime.jobs import QUEUED, WAKEUP, Job
from investigations.types import utcnow

log = logging.getLogger(__name__)
KEEP_DELIVERIES = timedelta(days=7)  # longer than any helpdesk retries (Zendesk and Freshdesk: about a day)
DELIVERIES = WebhookDelivery.__table__  # type: ignore[attr-defined]
JOBS = Job.__table__  # type: ignore[attr-defined]


class IntakeUnavailable(Exception):
    """The delivery was not recorded (the database failed): the helpdesk should send it again."""

    retry_after = 5


class IntakeBusy(IntakeUnavailable):
    """Too many deliveries are waiting to be written: refused at once, to be sent again shortly."""

    retry_after = 1


def write_deliveries(connection: Connection, deliveries: Sequence[tuple[str, Delivery]]) -> list[bool]:
    """Insert the deliveries and a ticket job for each new one, in the caller's transaction; per
    delivery, True when it is new and False when it was seen before (or earlier in this batch)."""
    now = utcnow()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    rows = [
        {
            "helpdesk": h,
            "delivery_id": d.delivery_id,
            "replay_key": d.replay_key,
            "ticket_ref": d.ticket_ref,
            "received_at": now,
        }
        for h, d in deliveries
    ]
    # One cached statement, executed for many rows in one round trip ("insertmanyvalues").
    inserted = connection.execute(
        dialect.insert(DELIVERIES)
        .on_conflict_do_nothing()  # a delivery id seen before, or a replay of a signed body
        .returning(DELIVERIES.c.helpdesk, DELIVERIES.c.delivery_id),
        rows,
    ).all()
    fresh = {(helpdesk, delivery_id) for helpdesk, delivery_id in inserted}
    new: list[bool] = []
    jobs: list[dict[str, Any]] = []
    queued: set[tuple[str, str]] = set()  # tickets given a job in this batch
    for helpdesk, delivery in deliveries:
        key = (helpdesk, delivery.delivery_id)
        new.append(key in fresh)
        if key in fresh:
            fresh.discard(key)  # a second copy in the same batch is a duplicate
            ticket = (helpdesk, delivery.ticket_ref)
            if delivery.coalesce and delivery.text is None:
                if ticket in queued or _queued_ticket_job(connection, helpdesk, delivery.ticket_ref):
                    continue  # the queued job reads the ticket as it is when it runs
            queued.add(ticket)
            payload = {
                "helpdesk": helpdesk,
                "ticket_ref": delivery.ticket_ref,
                "text": delivery.text,
                "received_at": now.isoformat(),
            }
            if delivery.public_reply_by:
                payload["public_reply_by"] = delivery.public_reply_by
            jobs.append(
                {
                    "kind": "ticket",
                    "payload": payload,
                    "status": QUEUED,
                    "attempts": 0,
                    "max_attempts": 8,
                    "priority": 0,
                    "run_after": now,
                    "created_at": now,
                }
            )
    if jobs:
        connection.execute(JOBS.insert(), jobs)
    return new


def intake(session: Session, helpdesk: str, delivery: Delivery) -> bool:
    """Record one delivery and its job atomically (committed); False when it was seen before."""
    connection = session.connection()
    durable(connection)
    [new] = write_deliveries(connection, [(helpdesk, delivery)])
    session.commit()
    WAKEUP.notify(int(new))
    return new


def purge_deliveries(session: Session) -> int:
    result = session.exec(delete(WebhookDelivery).where(WebhookDelivery.received_at < utcnow() - KEEP_DELIVERIES))  # type: ignore[call-overload]
    session.commit()
    return int(result.rowcount or 0)


_Waiting = tuple[str, Delivery, asyncio.AbstractEventLoop, "asyncio.Future[bool]"]


class IntakeWriter:
    """One writer thread per process; at most `limit` deliveries wait for it, at most `batch` per commit."""

    def __init__(self, engine: Engine, *, limit: int = 128, batch: int = 200) -> None:
        self.engine = engine
        self.batch = batch
        self._queue: queue.Queue[_Waiting | None] = queue.Queue(maxsize=limit)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def record(self, helpdesk: str, delivery: Delivery) -> bool:
        """Write the delivery and its job; True when new, False for a delivery seen before."""
        self._ensure_started()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        try:
            self._queue.put_nowait((helpdesk, delivery, loop, future))
        except queue.Full:
            raise IntakeBusy("too many webhooks are waiting to be written") from None
        return await future

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, daemon=True, name="intake-writer")
                    self._thread.start()

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(10)
            self._thread = None

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            waiting = [first]
            stop = False
            while len(waiting) < self.batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                waiting.append(item)
            self._write(waiting)
            if stop:
                return

    def _write(self, waiting: list[_Waiting]) -> None:
        deliveries = [(helpdesk, delivery) for helpdesk, delivery, _loop, _future in waiting]
        outcome: list[bool] | BaseException
        for attempt in (1, 2):
            try:
                with self.engine.begin() as connection:
                    durable(connection)  # acknowledged with 2xx: kept through a power cut too
                    outcome = write_deliveries(connection, deliveries)
                WAKEUP.notify(sum(outcome))  # their ticket jobs: idle workers take them now
                break
            except DBAPIError as exc:  # no pre-ping: a connection the server closed fails once, then is replaced
                if exc.connection_invalidated and attempt == 1:
                    continue
                log.exception("could not record %d webhook deliveries", len(waiting))
                outcome = IntakeUnavailable("the deliveries could not be recorded")
                break
            except Exception:  # noqa: BLE001 - every waiting request must get an answer
                log.exception("could not record %d webhook deliveries", len(waiting))
                outcome = IntakeUnavailable("the deliveries could not be recorded")
                break
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[bool], bool | BaseException]]] = {}
        for index, (_h, _d, loop, future) in enumerate(waiting):
            result = outcome if isinstance(outcome, BaseException) else outcome[index]
            by_loop.setdefault(loop, []).append((future, result))
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, settled)
            except RuntimeError:  # the loop is closed: nobody waits for these answers any more
                pass


def _settle(settled: list[tuple[asyncio.Future[bool], bool | BaseException]]) -> None:
    for future, result in settled:
        if future.done():
            continue  # the request was cancelled (client gone)
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


def _queued_ticket_job(connection: Connection, helpdesk: str, ticket_ref: str) -> bool:
    found = connection.execute(
        select(JOBS.c.id)
        .where(
            JOBS.c.kind == "ticket",
            JOBS.c.status == QUEUED,
            JOBS.c.payload["helpdesk"].as_string() == helpdesk,
            JOBS.c.payload["ticket_ref"].as_string() == ticket_ref,
        )
        .limit(1)
    ).first()
    return found is not None
