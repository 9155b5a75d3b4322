"""Webhook intake under load: batched Core writes, duplicates inside one batch, back-pressure (a quick
503 with Retry-After while the database cannot keep up), and notes claimed before queued tickets."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import httpx
from sqlalchemy import func, select
from sqlmodel import Session

from app.helpdesks.clients.base import Delivery
from app.helpdesks.intake import intake, write_deliveries
from app.helpdesks.models import WebhookDelivery
from app.helpdesks.note_job import NoteJob
from app.main import create_app
from app.runtime import jobs
from app.runtime.jobs import Job
from tests.support.helpdesks import standard_headers

SECRET = "whsec_" + "c2VjcmV0LWtleQ=="


def _count(engine, table) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_batch_writes_each_new_delivery_and_its_job_once(engine):
    first, again = Delivery("d-1", "t-1", "tx please"), Delivery("d-1", "t-1", "tx please")
    with engine.begin() as connection:
        assert write_deliveries(connection, [("zendesk", first), ("zendesk", again), ("chatwoot", first)]) == [
            True,
            False,
            True,
        ]
    with engine.begin() as connection:
        assert write_deliveries(connection, [("zendesk", Delivery("d-1", "t-1"))]) == [False]
    assert _count(engine, WebhookDelivery) == 2
    with Session(engine) as session:
        payloads = sorted(
            (j.kind, j.payload["helpdesk"], j.payload["text"]) for j in session.exec(select(Job)).scalars()
        )
    assert payloads == [("ticket", "chatwoot", "tx please"), ("ticket", "zendesk", "tx please")]


def test_a_note_queued_during_a_burst_is_claimed_before_the_remaining_tickets(engine):
    with Session(engine) as session:
        for number in range(5):
            intake(session, "zendesk", Delivery(f"burst-{number}", str(number)))
        notes = NoteJob({}, None, "https://desk.example")  # type: ignore[arg-type]
        notes.queue_note(session, "zendesk", "0", "[depositdesk x credited]", None, "credited", "b", [], None)
        session.commit()
        assert jobs.claim(session, "w").kind == "note"  # type: ignore[union-attr]
        assert jobs.claim(session, "w").kind == "ticket"  # type: ignore[union-attr]


def test_a_full_intake_queue_answers_503_with_retry_after_at_once_and_writes_nothing(settings, sqlite_engine):
    app = create_app(
        settings.model_copy(update={"webhook_secrets": [SECRET], "intake_queue_limit": 1}), engine=sqlite_engine
    )
    locker = sqlite3.connect(sqlite_engine.url.database, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # the database is busy: the writer waits on its first batch

    def post(client: httpx.AsyncClient, number: int):
        body = json.dumps({"ticket_ref": f"t-{number}", "text": "where is my deposit"}).encode()
        headers = {**standard_headers(SECRET, body, webhook_id=f"msg_{number}"), "content-type": "application/json"}
        return client.post("/webhooks/generic", content=body, headers=headers)

    writer = app.state.intake
    writing = threading.Event()  # the writer holds its first batch and waits on the locked database
    write = writer._write

    def observed_write(waiting):
        writing.set()
        write(waiting)

    writer._write = observed_write

    async def put(client: httpx.AsyncClient, number: int) -> asyncio.Future:
        """Post one delivery and return once it is in the writer's hands or its queue."""
        before = writer._queue.unfinished_tasks  # counts every delivery ever put (none is marked done)
        waiting = asyncio.ensure_future(post(client, number))
        while writer._queue.unfinished_tasks == before:
            await asyncio.sleep(0.001)  # let the request run up to the queue
        return waiting

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://desk") as client:
            # The writer takes the first delivery and blocks on the locked database; the next one
            # waits in the queue, which is then full.
            waiting = [await put(client, 0)]
            assert await asyncio.get_running_loop().run_in_executor(None, writing.wait, 60)
            waiting.append(await put(client, 1))
            assert writer._queue.full()
            # Refused while the database is still locked: the refusal waits for nothing.
            refused = await asyncio.wait_for(post(client, 99), timeout=60)
            locker.execute("COMMIT")
            return [*await asyncio.gather(*waiting), refused]

    try:
        responses = asyncio.run(scenario())
    finally:
        locker.close()
        app.state.intake.close()
    codes = [response.status_code for response in responses]
    assert codes[-1] == 503
    assert responses[-1].headers["Retry-After"] == "1"
    assert set(codes[:-1]) == {202}  # every delivery waiting was written once the lock went
    with Session(sqlite_engine) as session:
        stored = {d.ticket_ref for d in session.exec(select(WebhookDelivery)).scalars()}
    assert stored == {f"t-{n}" for n in range(len(codes) - 1)}  # and the refused one left no trace
    assert "t-99" not in stored


def test_a_database_that_cannot_write_answers_503_not_500(settings, tmp_path):
    from app.runtime.db import make_engine

    unmigrated = make_engine(f"sqlite:///{tmp_path}/empty.db")  # no tables: every write fails
    app = create_app(settings.model_copy(update={"webhook_secrets": [SECRET]}), engine=unmigrated, migrate_schema=False)
    body = json.dumps({"ticket_ref": "t-1", "text": "deposit?"}).encode()
    headers = {**standard_headers(SECRET, body, webhook_id="msg_down"), "content-type": "application/json"}

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as client:
            return await client.post("/webhooks/generic", content=body, headers=headers)

    try:
        response = asyncio.run(post())
    finally:
        app.state.intake.close()
        unmigrated.dispose()
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
