"""Webhook intake: the delivery (unique per helpdesk and delivery id, and per what its signature
covers, so a replay under a fresh id is recognised too) and its ticket job are written in one
transaction, so a delivery acknowledged with 2xx is never lost and a repeated one is recognised.

A Freshdesk delivery (no delivery id, no text: the ticket is read from the API) adds no job while a
ticket job for the same ticket is still queued: that job has not read the ticket yet and will read it
as it is then. This is Freshdesk's de-duplication: bursts of updates and webhook retries cost one
ticket read, and no update is lost. (Other helpdesks skip the look-up: it costs time on a deep queue.)"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.helpdesks.clients.base import Delivery
from app.helpdesks.models import WebhookDelivery
from app.runtime.jobs import QUEUED, Job, enqueue
from investigations.types import utcnow

KEEP_DELIVERIES = timedelta(days=7)  # longer than any helpdesk retries (Zendesk and Freshdesk: about a day)


def intake(session: Session, helpdesk: str, delivery: Delivery) -> bool:
    """Record a delivery and its job atomically; False when this delivery was seen before."""
    now = utcnow()
    covered = delivery.coalesce and delivery.text is None and _queued_ticket_job(session, helpdesk, delivery.ticket_ref)
    session.add(
        WebhookDelivery(
            helpdesk=helpdesk,
            delivery_id=delivery.delivery_id,
            replay_key=delivery.replay_key,
            ticket_ref=delivery.ticket_ref,
            received_at=now,
        )
    )
    if not covered:
        enqueue(
            session,
            "ticket",
            {
                "helpdesk": helpdesk,
                "ticket_ref": delivery.ticket_ref,
                "text": delivery.text,
                "received_at": now.isoformat(),
            },
        )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def purge_deliveries(session: Session) -> int:
    result = session.exec(delete(WebhookDelivery).where(WebhookDelivery.received_at < utcnow() - KEEP_DELIVERIES))
    session.commit()
    return int(result.rowcount or 0)


def _queued_ticket_job(session: Session, helpdesk: str, ticket_ref: str) -> bool:
    found = session.exec(
        select(Job.id).where(
            Job.kind == "ticket",
            Job.status == QUEUED,
            col(Job.payload)["helpdesk"].as_string() == helpdesk,
            col(Job.payload)["ticket_ref"].as_string() == ticket_ref,
        )
    ).first()
    return found is not None
