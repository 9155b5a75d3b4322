"""Webhook intake: the delivery (unique per helpdesk and delivery id, and per what its signature
covers, so a replay under a fresh id is recognised too) and its ticket job are written in
one transaction, so a delivery acknowledged with 2xx is never lost and a repeated one is recognised."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete

from app.helpdesks.clients.base import Delivery
from app.helpdesks.models import WebhookDelivery
from app.runtime.jobs import enqueue
from investigations.types import utcnow

KEEP_DELIVERIES = timedelta(days=7)  # longer than any helpdesk retries (Zendesk and Freshdesk: about a day)


def intake(session: Session, helpdesk: str, delivery: Delivery) -> bool:
    """Record a delivery and its job atomically; False when this delivery was seen before."""
    now = utcnow()
    session.add(
        WebhookDelivery(
            helpdesk=helpdesk,
            delivery_id=delivery.delivery_id,
            replay_key=delivery.replay_key,
            ticket_ref=delivery.ticket_ref,
            received_at=now,
        )
    )
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
